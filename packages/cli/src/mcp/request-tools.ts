import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { HopscopeClient } from '../client.js';
import { fetchRequest } from './fetch.js';
import {
  DETAIL,
  type HopsArgs,
  hops,
  pathAnswer,
  spanDetails,
  summarise,
  TIGHT,
} from './request-views.js';
import { answer, answerRows, fitsAnswer, guarded, toolError } from './result.js';
import { limitInput, offsetInput, requestIdInput, serviceInput, spanIdInput } from './schemas.js';

/** The tools about one request: a summary first, then its hops, one span, its critical path. */
export function registerRequestTools(server: McpServer, client: HopscopeClient): void {
  server.registerTool(
    'find_request',
    {
      title: 'Find a request',
      description:
        'Start here when you have a request ID (req_…), trace ID or traceparent from a log, an error ' +
        'report or a user. Returns a short summary: services it passed, total duration, ok/error, the ' +
        'first error, span/log/hop counts and LLM usage. It lists no spans; follow up with ' +
        'get_trace_summary (the hops), get_span (one span), get_logs or get_critical_path.',
      inputSchema: { id: requestIdInput },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    guarded(async ({ id }: { id: string }) => {
      const data = await fetchRequest(client, id, ['spans']);
      return answer(summarise(data));
    }),
  );

  server.registerTool(
    'get_trace_summary',
    {
      title: 'List the hops of a request',
      description:
        'Use after find_request to see where a request went: its spans in start order, one compact ' +
        'row each (service, operation, offset and duration in ms, status, error, span_id, depth). ' +
        'Paged (limit/offset) and filterable (service, errors_only, max_depth) so a 10k-span trace ' +
        'stays small. Pass a row’s span_id to get_span for attributes, events and logs.',
      inputSchema: {
        id: requestIdInput,
        service: serviceInput.optional().describe('Only spans of this service.'),
        errors_only: z.boolean().default(false).describe('Only spans with error status.'),
        max_depth: z
          .number()
          .int()
          .min(0)
          .optional()
          .describe('Only spans at most this deep in the tree (0 = root spans).'),
        limit: limitInput(40, 200).describe('Rows to return (default 40, at most 200).'),
        offset: offsetInput,
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    guarded(async (args: HopsArgs) => {
      const data = await fetchRequest(client, args.id, ['spans']);
      return answerRows(args.limit, (n) => hops(data, { ...args, limit: n }));
    }),
  );

  server.registerTool(
    'get_span',
    {
      title: 'One span in detail',
      description:
        'Use when a row of get_trace_summary or the first error of find_request needs a closer ' +
        'look: one span’s attributes, resource, events (exceptions), links, LLM details, parent, ' +
        'children and the log lines written inside it. Long values are cut.',
      inputSchema: {
        id: requestIdInput.describe(
          'The request ID, trace ID or traceparent the span belongs to (as given to find_request).',
        ),
        span_id: spanIdInput,
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    guarded(async ({ id, span_id }: { id: string; span_id: string }) => {
      const data = await fetchRequest(client, id, ['spans', 'logs']);
      const wanted = span_id.toLowerCase();
      const span = data.spans.find((s) => s.span_id === wanted);
      if (!span) {
        return toolError(
          `Span ${span_id} is not part of ${id} (${data.span_count} spans in traces ${data.trace_ids.join(', ')}). ` +
            'get_trace_summary lists its span IDs.',
        );
      }
      const full = spanDetails(data, span, DETAIL);
      return answer(fitsAnswer(full) ? full : spanDetails(data, span, TIGHT));
    }),
  );

  server.registerTool(
    'get_critical_path',
    {
      title: 'Where the time went',
      description:
        'Use when a request was slow: the chain of spans the request waited on from start to end ' +
        '(Jaeger’s critical path, across all its traces), with each span’s time on that path, and ' +
        'the totals per service. Time no span covers shows as a gap.',
      inputSchema: {
        id: requestIdInput,
        limit: limitInput(30, 200).describe(
          'Path segments to list (default 30); totals cover all.',
        ),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    guarded(async ({ id, limit }: { id: string; limit: number }) => {
      const data = await fetchRequest(client, id, ['spans']);
      return answerRows(limit, (n) => pathAnswer(data, n));
    }),
  );
}
