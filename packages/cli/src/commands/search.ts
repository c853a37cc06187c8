import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { resolveSources } from '../input/files.js';
import { write } from '../io.js';
import { formatClock, formatDuration } from '../render/format.js';
import { renderLogLine } from '../render/log-line.js';
import { collectMatches, groupByService, type SearchMatch } from '../search/collect.js';
import { type RequestKey, requestKey, serviceName } from '../validate.js';

interface SearchFlags {
  json?: boolean;
  color?: boolean;
  service?: string;
  maxMatches: number;
  stitch?: boolean;
}

export interface SearchResult {
  query: { input: string; kind: RequestKey['kind'] };
  count: number;
  lines_scanned: number;
  files: string[];
  /** Trace IDs of matched lines whose other lines were added (`matched_by: "trace"`). */
  stitched_traces: string[];
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
    .option('--no-stitch', 'only lines that name the ID, not other lines of its traces')
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
  const collected = await collectMatches(sources, key, {
    service: flags.service,
    maxMatches: flags.maxMatches,
    stitch: flags.stitch !== false,
  });
  const { matches, scanned } = collected;
  const result: SearchResult = {
    query: { input, kind: key.kind },
    count: matches.length,
    lines_scanned: scanned,
    files: sources.map((s) => s.name),
    stitched_traces: collected.stitchedTraces,
    services: groupByService(matches),
    truncated: collected.truncated,
  };
  if (collected.oversized > 0) {
    stderr.write(`hopscope: skipped ${collected.oversized} line(s) longer than 16 MB\n`);
  }
  if (collected.skippedTraces) {
    stderr.write(
      `hopscope: the matches span ${collected.skippedTraces} traces; lines sharing only a trace ID were not added\n`,
    );
  }
  if (collected.truncated) {
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
      const via = log.matched_by === 'trace' ? ' (same trace)' : '';
      const where = colors.dim(`${log.file}:${log.line}${via}`);
      await write(
        stdout,
        `  ${renderLogLine(log, colors, { serviceWidth: service.length })}  ${where}\n`,
      );
    }
  }
}
