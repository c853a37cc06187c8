import { setTimeout as sleep } from 'node:timers/promises';
import type { DebugLog, DebugLogsResponse } from '@hopscope/server';
import type { Command } from 'commander';
import type { HopscopeClient, JsonResponse, Query } from '../client.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { write } from '../io.js';
import type { Colors } from '../render/color.js';
import { renderLogLine } from '../render/log-line.js';
import { addServerOptions, type ServerFlags } from '../server-options.js';
import { duration, durationMs, level, positiveInt, requestKey, serviceName } from '../validate.js';

interface LogsFlags extends ServerFlags {
  requestId?: string;
  traceId?: string;
  service?: string;
  level?: string;
  since?: string;
  grep?: string;
  limit: number;
  follow?: boolean;
  interval: string;
  json?: boolean;
  color?: boolean;
}

const PAGE = 1000;
// Lines can land a little after their timestamp (batching, clock skew): look back this far.
const FOLLOW_OVERLAP_MS = 5_000;

export function registerLogs(program: Command, ctx: CliContext): void {
  const command = program
    .command('logs')
    .description('Log lines from the server, oldest first; --follow keeps printing new ones.')
    .option('--request-id <id>', 'only this request', (v) => requestIdOption(v))
    .option('--trace-id <id>', 'only this trace (32 hex)', (v) => traceIdOption(v))
    .option('--service <name>', 'only this service', (v) => serviceName('--service', v))
    .option('--level <level>', 'minimum level: debug, info, warn, error, fatal', (v) =>
      level('--level', v),
    )
    .option('--since <duration>', 'how far back, e.g. 15m, 1h, 7d (server default 1h)', (v) =>
      duration('--since', v),
    )
    .option('--grep <text>', 'case-insensitive substring of message, event or error')
    .option(
      '--limit <n>',
      'lines to print (newest N)',
      (v) => positiveInt('--limit', v, 1_000_000),
      100,
    )
    .option('-f, --follow', 'keep polling for new lines until Ctrl-C')
    .option(
      '--interval <duration>',
      'poll interval with --follow',
      (v) => duration('--interval', v),
      '1s',
    )
    .option('--json', 'one JSON object per line (the API DebugLog shape)')
    .option('--no-color', 'plain output (also NO_COLOR)')
    .addHelpText(
      'after',
      '\nExamples:\n  hopscope logs --service gateway --level warn --since 30m\n  hopscope logs --request-id req_3f9a1c2b4d5e --json\n  hopscope logs -f --service agent',
    );
  addServerOptions(command).action(async (flags: LogsFlags) => {
    await logs(ctx, flags);
  });
}

function requestIdOption(value: string): string {
  const text = value.trim();
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(text)) {
    throw new CliError(
      `--request-id: expected 1–128 of A-Z a-z 0-9 . _ : - (like req_3f9a1c2b4d5e), got ${JSON.stringify(value)}`,
      EXIT.usage,
    );
  }
  return text;
}

function traceIdOption(value: string): string {
  const key = requestKey(value);
  if (key.kind === 'trace_id') return key.value;
  if (key.kind === 'traceparent') return key.traceId;
  throw new CliError(
    `--trace-id: expected 32 hex characters, got ${JSON.stringify(value)}`,
    EXIT.usage,
  );
}

async function logs(ctx: CliContext, flags: LogsFlags): Promise<void> {
  const client = ctx.client(flags);
  const filters: Query = {
    request_id: flags.requestId,
    trace_id: flags.traceId,
    service: flags.service,
    level: flags.level,
    q: flags.grep,
  };
  const printer = new LogPrinter(ctx, flags);
  const { lines, serverNowMs } = await newestPages(
    client,
    { ...filters, since: flags.since },
    flags.limit,
  );
  for (const log of lines.reverse()) await printer.print(log);
  if (lines.length === 0 && !flags.json && !flags.follow) {
    ctx.io.stderr.write(`No log lines match (${describe(flags)}) at ${client.baseUrl}.\n`);
  }
  if (flags.follow) await follow(ctx, client, filters, flags, printer, lines, serverNowMs);
}

/** Newest first, across pages, until `limit` lines or no more pages. */
async function newestPages(
  client: HopscopeClient,
  query: Query,
  limit: number,
  stopBeforeUs = Number.NEGATIVE_INFINITY,
  signal?: AbortSignal,
): Promise<{ lines: DebugLog[]; serverNowMs: number }> {
  const lines: DebugLog[] = [];
  let cursor: string | null = null;
  let serverNowMs = Date.now();
  do {
    const response: JsonResponse<DebugLogsResponse> = await client.getJson<DebugLogsResponse>(
      '/api/debug/logs',
      { ...query, limit: Math.min(PAGE, limit - lines.length), cursor },
      { signal },
    );
    const page: DebugLogsResponse = response.body;
    if (!page || !Array.isArray(page.logs)) {
      throw new CliError(
        `${client.baseUrl}/api/debug/logs answered without "logs". Is it a Hopscope server?`,
        EXIT.server,
      );
    }
    serverNowMs = Date.parse(response.headers.get('date') ?? '') || Date.now();
    for (const log of page.logs) {
      if (log.timestamp_us < stopBeforeUs) return { lines, serverNowMs };
      lines.push(log);
    }
    cursor = page.next_cursor;
  } while (cursor && lines.length < limit);
  return { lines, serverNowMs };
}

async function follow(
  ctx: CliContext,
  client: HopscopeClient,
  filters: Query,
  flags: LogsFlags,
  printer: LogPrinter,
  initial: DebugLog[],
  serverNowMs: number,
): Promise<void> {
  const { signal } = ctx.io;
  const intervalMs = Math.max(durationMs(flags.interval), 100);
  let lastUs = initial.reduce((max, l) => Math.max(max, l.timestamp_us), serverNowMs * 1000);
  // When --limit cut the backlog, lines older than what was shown stay unshown.
  const floorUs =
    initial.length >= flags.limit
      ? initial.reduce((min, l) => Math.min(min, l.timestamp_us), Number.POSITIVE_INFINITY)
      : Number.NEGATIVE_INFINITY;
  let seen = new Set(initial.map(keyOf));
  let disconnected = false;
  while (!signal.aborted) {
    try {
      await sleep(intervalMs, undefined, { signal });
    } catch {
      break;
    }
    const fromUs = Math.max(lastUs - FOLLOW_OVERLAP_MS * 1000, floorUs);
    // An absolute `since` (the API takes ISO times too): no dependence on either clock's `now`.
    const since = new Date(Math.floor(fromUs / 1000)).toISOString();
    let result: Awaited<ReturnType<typeof newestPages>>;
    try {
      result = await newestPages(client, { ...filters, since }, 100_000, fromUs, signal);
    } catch (err) {
      if (signal.aborted) break;
      // Like tail -F across a restart: say so once, keep polling.
      if (!(err instanceof CliError) || err.exitCode !== EXIT.unreachable) throw err;
      if (!disconnected) ctx.io.stderr.write(`hopscope: ${err.message} Retrying…\n`);
      disconnected = true;
      continue;
    }
    if (disconnected) ctx.io.stderr.write(`hopscope: reconnected to ${client.baseUrl}\n`);
    disconnected = false;
    const fresh = result.lines.filter((l) => !seen.has(keyOf(l))).reverse();
    for (const log of fresh) {
      await printer.print(log);
      lastUs = Math.max(lastUs, log.timestamp_us);
    }
    // Everything older than the next window can never come back, so only this window is kept.
    seen = new Set(result.lines.map(keyOf));
  }
}

/** What makes a line itself, independent of server internals (cursors may change on restart). */
function keyOf(log: DebugLog): string {
  return `${log.timestamp_us}|${log.service}|${log.request_id}|${log.span_id}|${log.event}|${log.message}`;
}

function describe(flags: LogsFlags): string {
  const parts = [
    flags.requestId && `request ${flags.requestId}`,
    flags.traceId && `trace ${flags.traceId}`,
    flags.service && `service ${flags.service}`,
    flags.level && `level ≥ ${flags.level}`,
    flags.grep && `text "${flags.grep}"`,
    `since ${flags.since ?? '1h'}`,
  ];
  return parts.filter(Boolean).join(', ');
}

class LogPrinter {
  private readonly colors: Colors;
  private serviceWidth = 8;

  constructor(
    private readonly ctx: CliContext,
    private readonly flags: LogsFlags,
  ) {
    this.colors = ctx.colors(flags.color);
  }

  async print(log: DebugLog): Promise<void> {
    if (this.flags.json) {
      const { cursor: _cursor, ...rest } = log;
      await write(this.ctx.io.stdout, `${JSON.stringify(rest)}\n`);
      return;
    }
    this.serviceWidth = Math.min(Math.max(this.serviceWidth, log.service.length), 24);
    const line = renderLogLine(log, this.colors, {
      serviceWidth: this.serviceWidth,
      showRequestId: !this.flags.requestId,
      showDate: true,
    });
    await write(this.ctx.io.stdout, `${line}\n`);
  }
}
