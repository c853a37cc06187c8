import type {
  DebugLogsResponse,
  JaegerDependencyLink,
  JaegerTrace,
  StatsResponse,
} from '@hopscope/server';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { HopscopeClient } from '../client.js';
import { CliError, EXIT } from '../errors.js';
import { requestKey } from '../validate.js';
import { dense, ms } from './compact.js';
import { fetchJaeger } from './fetch.js';
import { answer, answerRows, guarded, rowsThatFit } from './result.js';
import {
  durationInput,
  levelInput,
  limitInput,
  requestIdInput,
  serviceInput,
  sinceInput,
} from './schemas.js';
import { logRow, traceLine } from './search-views.js';

/** The tools that look across requests: trace search, logs, the service map. */
export function registerSearchTools(server: McpServer, client: HopscopeClient): void {
  server.registerTool(
    'search_traces',
    {
      title: 'Search recent traces',
      description:
        'Use when you have no request ID yet: find recent requests by service, operation, errors, ' +
        'duration or span attributes. Returns one line per trace (request_id, root service and ' +
        'operation, start, duration, span count, services, first error), most recent first. ' +
        'Pass a request_id or trace_id from it to find_request.',
      inputSchema: {
        service: serviceInput.optional().describe('Traces with a span of this service.'),
        operation: z.string().min(1).max(512).optional().describe('Span name, e.g. POST /v1/chat.'),
        errors_only: z.boolean().default(false).describe('Only traces holding an error span.'),
        min_duration: durationInput.optional().describe('A span at least this long, e.g. 500ms.'),
        max_duration: durationInput.optional().describe('A span at most this long.'),
        attributes: z
          .record(z.string().min(1).max(256), z.string().max(1024))
          .optional()
          .describe(
            'Span or resource attributes that must all hold on one span, e.g. {"http.status_code":"500"}.',
          ),
        since: durationInput
          .default('1h')
          .describe('How far back to look (default 1h), e.g. 15m, 24h, 7d.'),
        limit: limitInput(10, 50).describe('Traces to return (default 10, at most 50).'),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    guarded(async (args: SearchArgs) => {
      const traces = await fetchJaeger<JaegerTrace[]>(client, '/api/traces', {
        service: args.service,
        operation: args.operation,
        errors: args.errors_only ? 'true' : undefined,
        minDuration: args.min_duration,
        maxDuration: args.max_duration,
        tags: args.attributes ? JSON.stringify(args.attributes) : undefined,
        lookback: args.since,
        limit: args.limit,
      });
      const lines = traces.map(traceLine);
      return answerRows(lines.length, (n) =>
        dense({
          note:
            lines.length === 0
              ? `No traces matched in the last ${args.since}. Widen since, drop filters, or check get_service_map for the service names.`
              : n < lines.length || lines.length === args.limit
                ? `Showing the ${n} most recent; narrow the filters (or raise limit) for more.`
                : null,
          count: n,
          traces: lines.slice(0, n),
        }),
      );
    }),
  );

  server.registerTool(
    'get_logs',
    {
      title: 'Read log lines',
      description:
        'Use to read what services logged: for one request (request_id), or across services by ' +
        'service, minimum level, time and text (q). Newest first, messages cut to 300 characters; ' +
        'pass next_cursor back as cursor for older lines.',
      inputSchema: {
        request_id: requestIdInput
          .optional()
          .describe('The lines of one request: a request ID, trace ID or traceparent.'),
        service: serviceInput.optional().describe('Only this service.'),
        level: levelInput.optional(),
        since: sinceInput.optional(),
        q: z
          .string()
          .min(1)
          .max(512)
          .optional()
          .describe('Case-insensitive text in message, event or error.'),
        limit: limitInput(50, 200).describe('Lines to return (default 50, at most 200).'),
        cursor: z
          .string()
          .min(1)
          .max(1024)
          .optional()
          .describe('next_cursor of the previous answer.'),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    guarded(async (args: LogsArgs) => {
      const key = args.request_id ? requestKey(args.request_id) : undefined;
      const oneRequest = key !== undefined;
      const page = async (limit: number) => {
        const { body } = await client.getJson<DebugLogsResponse>('/api/debug/logs', {
          request_id: key?.kind === 'request_id' ? key.value : undefined,
          trace_id:
            key?.kind === 'trace_id'
              ? key.value
              : key?.kind === 'traceparent'
                ? key.traceId
                : undefined,
          service: args.service,
          level: args.level,
          since: args.since,
          q: args.q,
          limit,
          cursor: args.cursor,
        });
        if (!body || !Array.isArray(body.logs)) {
          throw new CliError(
            `${client.baseUrl}/api/debug/logs answered without "logs". Is it a Hopscope server?`,
            EXIT.server,
          );
        }
        return { body, rows: body.logs.map((l) => logRow(l, oneRequest)) };
      };
      const build =
        ({ body, rows }: Awaited<ReturnType<typeof page>>) =>
        (n: number) => {
          const next = n < rows.length ? null : body.next_cursor;
          return dense({
            note: next
              ? `Newest ${n} lines shown; pass cursor "${next}" for older ones.`
              : n < rows.length
                ? 'Narrow with service, level, q or since, or ask for a smaller limit.'
                : rows.length === 0
                  ? `No log lines matched${body.filters_applied.since ? ` since ${body.filters_applied.since}` : ''}.`
                  : null,
            count: n,
            next_cursor: next,
            logs: rows.slice(0, n),
          });
        };
      let result = await page(args.limit);
      const fit = rowsThatFit(result.rows.length, build(result));
      if (fit === result.rows.length || fit === 0)
        return answerRows(result.rows.length, build(result));
      // Too long for one answer: ask the server for just the lines that fit, so its next_cursor
      // continues right after the last line shown.
      const asked = result.rows.length;
      result = await page(fit);
      return answerRows(result.rows.length, build(result), asked);
    }),
  );

  server.registerTool(
    'get_service_map',
    {
      title: 'Services and who calls whom',
      description:
        'Use to learn the system: which services exist, which call which (calls and errors per ' +
        'edge), and each service’s request rate, error rate and p50/p95 latency over a window. ' +
        'Good first call when you do not know the service names.',
      inputSchema: {
        service: serviceInput.optional().describe('Only this service and its edges.'),
        since: durationInput.default('1h').describe('Window, e.g. 15m, 1h, 24h (default 1h).'),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    guarded(async ({ service, since }: { service?: string; since: string }) => {
      const [edges, stats] = await Promise.all([
        fetchJaeger<JaegerDependencyLink[]>(client, '/api/dependencies', {
          lookback: since,
          service,
        }),
        client.getJson<StatsResponse>('/api/stats', { since, service }).then((r) => r.body),
      ]);
      const services = Array.isArray(stats?.services) ? stats.services : [];
      const names = new Set(services.map((s) => s.service));
      for (const e of edges) names.add(e.parent).add(e.child);
      return answer(
        dense({
          note:
            names.size === 0
              ? `No spans in the last ${since}${service ? ` for ${service}` : ''}. Widen since.`
              : edges.length > 100 || services.length > 50
                ? 'Largest 50 services and 100 edges shown; pass service to focus on one.'
                : null,
          since,
          services: services.slice(0, 50).map((s) =>
            dense({
              service: s.service,
              requests: s.count,
              rate_per_s: Math.round(s.rate_per_s * 1000) / 1000,
              error_rate: Math.round(s.error_rate * 1000) / 1000,
              p50_ms: ms(s.p50_ms),
              p95_ms: ms(s.p95_ms),
              operations: s.operations.length,
            }),
          ),
          edges: [...edges]
            .sort((a, b) => b.callCount - a.callCount)
            .slice(0, 100)
            .map((e) =>
              dense({
                from: e.parent,
                to: e.child,
                calls: e.callCount,
                errors: e.errorCount || null,
              }),
            ),
        }),
      );
    }),
  );
}

interface SearchArgs {
  service?: string;
  operation?: string;
  errors_only: boolean;
  min_duration?: string;
  max_duration?: string;
  attributes?: Record<string, string>;
  since: string;
  limit: number;
}

interface LogsArgs {
  request_id?: string;
  service?: string;
  level?: string;
  since?: string;
  q?: string;
  limit: number;
  cursor?: string;
}
