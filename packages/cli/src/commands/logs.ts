import type { DebugLog } from '@hopscope/server';
import type { Command } from 'commander';
import type { Query } from '../client.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { write } from '../io.js';
import { follow } from '../logs/follow.js';
import { newestPages } from '../logs/pages.js';
import type { Colors } from '../render/color.js';
import { renderLogLine } from '../render/log-line.js';
import { addServerOptions, type ServerFlags } from '../server-options.js';
import {
  duration,
  durationMs,
  level,
  positiveInt,
  requestKey,
  serviceName,
  sinceValue,
} from '../validate.js';

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
    .option(
      '--since <age|time>',
      'how far back: 15m, 1h, 7d, or an ISO time (server default 1h)',
      (v) => sinceValue('--since', v),
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
    { ...filters, since: sinceFor(flags) },
    flags.limit,
  );
  for (const log of lines.reverse()) await printer.print(log);
  if (lines.length === 0 && !flags.json && !flags.follow) {
    ctx.io.stderr.write(`No log lines match (${describe(flags)}) at ${client.baseUrl}.\n`);
  }
  if (flags.follow) {
    await follow({
      client,
      filters,
      intervalMs: durationMs(flags.interval),
      initial: lines,
      backlogCut: lines.length >= flags.limit,
      serverNowMs,
      signal: ctx.io.signal,
      print: (log) => printer.print(log),
      note: (text) => ctx.io.stderr.write(`hopscope: ${text}\n`),
    });
  }
}

/**
 * The API looks back 1h by default. A request or trace asked for by ID may be older, and the
 * ID lookup is indexed, so then the whole retention window is searched.
 */
function sinceFor(flags: LogsFlags): string | undefined {
  if (flags.since) return flags.since;
  return flags.requestId || flags.traceId ? '30d' : undefined;
}

function describe(flags: LogsFlags): string {
  const parts = [
    flags.requestId && `request ${flags.requestId}`,
    flags.traceId && `trace ${flags.traceId}`,
    flags.service && `service ${flags.service}`,
    flags.level && `level ≥ ${flags.level}`,
    flags.grep && `text "${flags.grep}"`,
    `since ${sinceFor(flags) ?? '1h'}`,
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
