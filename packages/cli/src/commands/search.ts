import type { DebugLog } from '@hopscope/server';
import { parseLogLine } from '@hopscope/server/log-lines';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError, EXIT, UsageError } from '../errors.js';
import { resolveSources, serviceFromFileName } from '../input/files.js';
import type { LineStats } from '../input/lines.js';
import { scanForNeedles } from '../input/scan.js';
import { write } from '../io.js';
import { formatClock, formatDuration } from '../render/format.js';
import { renderLogLine, toDebugLog } from '../render/log-line.js';
import { type RequestKey, requestKey, serviceName } from '../validate.js';

const NO_TIME = -1n;

interface SearchFlags {
  json?: boolean;
  color?: boolean;
  service?: string;
  maxMatches: number;
}

/** A matching line and where it was found. */
export interface SearchMatch extends DebugLog {
  file: string;
  line: number;
}

export interface SearchResult {
  query: { input: string; kind: RequestKey['kind'] };
  count: number;
  lines_scanned: number;
  files: string[];
  /** Services in order of their first matching line; lines in time order. */
  services: Array<{ service: string; count: number; logs: SearchMatch[] }>;
  truncated: boolean;
}

export function registerSearch(program: Command, ctx: CliContext): void {
  program
    .command('search')
    .description(
      'Offline, no server: find every line of one request in JSON log files of any service, grouped by service.',
    )
    .argument('<id>', 'a request ID (req_3f9a…), a 32-hex trace ID, or a traceparent')
    .argument(
      '[files...]',
      "log files, quoted globs ('logs/*.log*'), .gz, or - for stdin (default: stdin when piped)",
    )
    .option('--json', 'print the matches as one JSON document')
    .option('--no-color', 'plain output (also NO_COLOR)')
    .option(
      '--service <name>',
      'service for lines that name none (default: from the file name)',
      (v) => serviceName('--service', v),
    )
    .option(
      '--max-matches <n>',
      'stop collecting after this many matching lines',
      (v) => {
        const n = Number(v);
        if (!Number.isSafeInteger(n) || n < 1)
          throw new UsageError(
            `--max-matches: expected a positive whole number, got ${JSON.stringify(v)}`,
          );
        return n;
      },
      100_000,
    )
    .addHelpText(
      'after',
      "\nShapes read: the hopscope log line, structlog, pino, bunyan, winston, Python logging JSON, zap, slog, OTel JSON; other lines match as plain text.\nExit codes: 0 found, 3 nothing matched.\nExamples:\n  hopscope search req_3f9a1c2b4d5e /var/log/janus/*.log\n  hopscope search req_3f9a1c2b4d5e 'logs/**/*.log.gz'\n  kubectl logs deploy/gateway | hopscope search req_3f9a1c2b4d5e -",
    )
    .action(async (id: string, files: string[], flags: SearchFlags) => {
      ctx.exitCode = await search(ctx, id, files, flags);
    });
}

async function search(
  ctx: CliContext,
  input: string,
  files: string[],
  flags: SearchFlags,
): Promise<number> {
  const key = requestKey(input);
  const { stdin, stdout, stderr } = ctx.io;
  if (files.length === 0) {
    if (stdin.isTTY) {
      throw new UsageError(
        'search: expected log files, globs, or - for stdin after the ID (e.g. hopscope search req_3f9a1c2b4d5e logs/*.log)',
      );
    }
    files = ['-'];
  }
  const sources = await resolveSources(files, stdin);
  const found: SearchMatch[] = [];
  const stats: LineStats = { bytesRead: 0, oversized: 0 };
  let scanned = 0;
  let truncated = false;

  const needles = needlesFor(key);
  const matches = lineMatcher(key);
  for (const source of sources) {
    const service =
      flags.service ?? (source.name === 'stdin' ? undefined : serviceFromFileName(source.name));
    // Lines without a time of their own (stack traces, plain text) sit after the line before them.
    let lastNs = BigInt(Math.floor(source.mtimeMs ?? Date.now())) * 1_000_000n;
    try {
      const { lines } = await scanForNeedles(source, needles, stats, (line, lineNo) => {
        if (!matches(line)) return;
        if (found.length >= flags.maxMatches) {
          truncated = true;
          return;
        }
        const record = parseLogLine(line, { service, now: NO_TIME });
        if (record.timestampNs === NO_TIME) record.timestampNs = lastNs;
        else lastNs = record.timestampNs;
        found.push({ ...toDebugLog(record), file: source.name, line: lineNo });
      });
      scanned += lines;
    } catch (err) {
      throw new CliError(`cannot read ${source.name}: ${(err as Error).message}`, EXIT.failed);
    }
  }

  const result = group(
    key,
    input,
    found,
    scanned,
    sources.map((s) => s.name),
    truncated,
  );
  if (stats.oversized > 0) {
    stderr.write(`hopscope: skipped ${stats.oversized} line(s) longer than 16 MB\n`);
  }
  if (truncated) {
    stderr.write(
      `hopscope: more than ${flags.maxMatches} lines matched; showing the first (--max-matches)\n`,
    );
  }
  if (flags.json) {
    await write(stdout, `${JSON.stringify(result, null, 2)}\n`);
  } else if (result.count > 0) {
    await printPretty(ctx, result, flags);
  }
  if (result.count === 0) {
    stderr.write(
      `No lines mention ${key.value} in ${sources.length} source${sources.length === 1 ? '' : 's'} (${scanned} line${scanned === 1 ? '' : 's'} scanned).\n`,
    );
    return EXIT.notFound;
  }
  return EXIT.ok;
}

/**
 * A line matches when the ID appears in it as a whole token (so `req_1` does not match `req_12`).
 * Trace IDs are hex and may be printed in upper case.
 */
export function lineMatcher(key: RequestKey): (line: string) => boolean {
  const ids = needlesFor(key);
  return (line) => ids.some((id) => containsToken(line, id));
}

/** The strings a matching line contains: the ID, and for hex trace IDs their upper case too. */
function needlesFor(key: RequestKey): string[] {
  if (key.kind === 'request_id') return [key.value];
  const hex = key.kind === 'traceparent' ? key.traceId : key.value;
  return [hex, hex.toUpperCase()];
}

const TOKEN_CHAR = /[A-Za-z0-9._:-]/;

function containsToken(line: string, id: string): boolean {
  for (let at = line.indexOf(id); at !== -1; at = line.indexOf(id, at + 1)) {
    const before = at === 0 ? '' : line[at - 1];
    const after = line[at + id.length] ?? '';
    // `0x` is how Python's OTel prints trace IDs.
    const beforeOk = before === '' || !TOKEN_CHAR.test(before) || line.slice(at - 2, at) === '0x';
    if (beforeOk && (after === '' || !TOKEN_CHAR.test(after))) return true;
  }
  return false;
}

function group(
  key: RequestKey,
  input: string,
  matches: SearchMatch[],
  scanned: number,
  files: string[],
  truncated: boolean,
): SearchResult {
  // Stable sort keeps file order for lines with the same timestamp.
  const sorted = matches
    .map((m, i) => ({ m, i }))
    .sort((a, b) => a.m.timestamp_us - b.m.timestamp_us || a.i - b.i)
    .map(({ m }) => m);
  const byService = new Map<string, SearchMatch[]>();
  for (const match of sorted) {
    const list = byService.get(match.service) ?? [];
    list.push(match);
    byService.set(match.service, list);
  }
  return {
    query: { input, kind: key.kind },
    count: matches.length,
    lines_scanned: scanned,
    files,
    services: [...byService].map(([service, logs]) => ({ service, count: logs.length, logs })),
    truncated,
  };
}

async function printPretty(
  ctx: CliContext,
  result: SearchResult,
  flags: SearchFlags,
): Promise<void> {
  const colors = ctx.colors(flags.color);
  const all = result.services.flatMap((s) => s.logs);
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const log of all) {
    first = Math.min(first, log.timestamp_us);
    last = Math.max(last, log.timestamp_us);
  }
  const errors = all.filter((l) => l.level === 'error' || l.level === 'fatal').length;
  const names = result.services.map((s) => colors.service(s.service)(s.service)).join(', ');
  const header = [
    colors.bold(result.query.input),
    `${result.count} line${result.count === 1 ? '' : 's'} from ${result.services.length} service${result.services.length === 1 ? '' : 's'} (${names})`,
    `${formatClock(first)} → ${formatClock(last)} (${formatDuration((last - first) / 1000)})`,
  ];
  if (errors > 0) header.push(colors.red(`${errors} error${errors === 1 ? '' : 's'}`));
  const { stdout } = ctx.io;
  await write(stdout, `${header.join(' · ')}\n`);
  for (const { service, count, logs } of result.services) {
    await write(
      stdout,
      `\n${colors.service(service)(colors.bold(`${service}`))} ${colors.dim(`(${count})`)}\n`,
    );
    for (const log of logs) {
      const where = colors.dim(`${log.file}:${log.line}`);
      await write(
        stdout,
        `  ${renderLogLine(log, colors, { serviceWidth: service.length })}  ${where}\n`,
      );
    }
  }
}
