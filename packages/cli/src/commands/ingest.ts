import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError, EXIT, UsageError } from '../errors.js';
import { Batcher, IngestSender, type IngestSummary, newSummary } from '../ingest/sender.js';
import { resolveSources, serviceFromFileName } from '../input/files.js';
import {
  isGzipFile,
  type LineStats,
  lineBatches,
  type Source,
  splitLines,
} from '../input/lines.js';
import { followChunks } from '../input/tail.js';
import { Progress } from '../render/progress.js';
import { addServerOptions, type ServerFlags } from '../server-options.js';
import { positiveInt, serviceName } from '../validate.js';

interface IngestFlags extends ServerFlags {
  service?: string;
  follow?: boolean;
  fromEnd?: boolean;
  batchLines: number;
  json?: boolean;
  progress?: boolean;
}

export function registerIngest(program: Command, ctx: CliContext): void {
  const command = program
    .command('ingest')
    .description('Send JSON log lines (any common shape) to the server, in NDJSON batches.')
    .argument(
      '[files...]',
      'log files, quoted globs, .gz, or - for stdin (default: stdin when piped)',
    )
    .option(
      '--service <name>',
      'service for lines that name none (default: from the file name)',
      (v) => serviceName('--service', v),
    )
    .option(
      '-f, --follow',
      'keep reading as files grow, across rotation (like tail -F), until Ctrl-C',
    )
    .option('--from-end', 'with --follow: skip what the files already hold')
    .option(
      '--batch-lines <n>',
      'lines per request',
      (v) => positiveInt('--batch-lines', v, 100_000),
      2000,
    )
    .option('--json', 'print the summary as JSON on stdout')
    .option('--no-progress', 'no progress line on a terminal')
    .addHelpText(
      'after',
      '\nLines that are not JSON are sent too and kept as plain messages; they are counted in the summary.\n' +
        'Exit codes: 0 all lines accepted, 1 the server rejected some, 4 unreachable, 5 token rejected.\n' +
        'Examples:\n  hopscope ingest logs/*.log\n  hopscope ingest --follow /var/log/agent.log\n  python worker.py | hopscope ingest - --service worker',
    );
  addServerOptions(command).action(async (files: string[], flags: IngestFlags) => {
    ctx.exitCode = await ingest(ctx, files, flags);
  });
}

async function ingest(ctx: CliContext, files: string[], flags: IngestFlags): Promise<number> {
  const { stdin, stdout, stderr } = ctx.io;
  if (files.length === 0) {
    if (stdin.isTTY) {
      throw new UsageError(
        'ingest: expected log files, globs, or - for stdin (e.g. hopscope ingest logs/*.log)',
      );
    }
    files = ['-'];
  }
  if (flags.fromEnd && !flags.follow) throw new UsageError('--from-end: only with --follow');
  // tail -F waits for a file that does not exist yet; without --follow that is a typo.
  const sources = await resolveSources(files, stdin, { allowMissing: flags.follow === true });
  const client = ctx.client(flags, 'ingest');
  // Ctrl-C (or the test's abort) stops reading; what was read is still sent and summarised.
  // Reading stops on Ctrl-C, and when the sender hits an error that ends the run (a live pipe
  // would otherwise keep us waiting for input that can no longer be sent).
  const stop = new AbortController();
  ctx.io.signal.addEventListener('abort', () => stop.abort(), { once: true });
  if (ctx.io.signal.aborted) stop.abort();
  const { signal } = stop;
  const summary = newSummary(sources.map((s) => s.name));
  const sender = new IngestSender(client, summary, ctx.io.signal, () => {
    stop.abort();
    stdin.destroy();
  });
  const stats: LineStats = { bytesRead: 0, oversized: 0 };
  const totalBytes = flags.follow
    ? undefined
    : sources.reduce((n, s) => n + (s.size ?? 0), 0) || undefined;
  const progress = new Progress(stderr, flags.progress !== false && stderr.isTTY === true, () => ({
    bytes: stats.bytesRead,
    totalBytes,
    lines: summary.lines,
  }));

  const readOne = async (source: Source) => {
    const service =
      flags.service ?? (source.name === 'stdin' ? undefined : serviceFromFileName(source.name));
    // A pipe may be a live process (`app | hopscope ingest -`): a quiet moment sends what came.
    const live = flags.follow === true || source.name === 'stdin';
    const batcher = new Batcher(sender, service, flags.batchLines, live);
    // Rotated .gz files do not grow: they are read once, even with --follow.
    const follows =
      flags.follow &&
      source.name !== 'stdin' &&
      !(await isGzipFile(source.name).catch(() => false));
    const batches = follows
      ? splitLines(
          countBytes(
            followChunks(source.name, {
              fromEnd: flags.fromEnd === true,
              signal,
              onEvent: (event) =>
                progress.note(
                  `${source.name}: ${event === 'waiting' ? 'waiting for the file to appear' : event}`,
                ),
            }),
            stats,
          ),
          stats,
        )
      : lineBatches(source, stats);
    try {
      for await (const batch of batches) {
        for (const line of batch) await batcher.add(line);
        if (signal.aborted) break;
      }
    } catch (err) {
      if (sender.failed !== undefined) throw sender.failed;
      if (err instanceof CliError) throw err;
      throw new CliError(`cannot read ${source.name}: ${(err as Error).message}`, EXIT.failed);
    } finally {
      await batcher.flush();
    }
  };

  progress.start();
  try {
    if (flags.follow) await Promise.all(sources.map(readOne));
    else for (const source of sources) if (!signal.aborted) await readOne(source);
    await sender.drain();
  } finally {
    progress.stop();
  }
  summary.oversized = stats.oversized;
  summary.seconds = (performance.now() - summary.startedAt) / 1000;
  if (flags.json) {
    const { startedAt: _startedAt, ...rest } = summary;
    stdout.write(`${JSON.stringify({ server: client.baseUrl, ...rest })}\n`);
  } else {
    stderr.write(`${describeSummary(summary, client.baseUrl)}\n`);
  }
  return summary.rejected > 0 || summary.unsent > 0 ? EXIT.failed : EXIT.ok;
}

async function* countBytes(
  chunks: AsyncIterable<Buffer>,
  stats: LineStats,
): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) {
    stats.bytesRead += chunk.length;
    yield chunk;
  }
}

function describeSummary(s: IngestSummary, server: string): string {
  const rate = s.seconds > 0 ? Math.round(s.lines / s.seconds) : s.lines;
  const parts = [
    `Sent ${s.accepted.toLocaleString('en')} of ${s.lines.toLocaleString('en')} lines from ${s.sources.length} source${s.sources.length === 1 ? '' : 's'} to ${server} in ${s.seconds.toFixed(1)} s (${rate.toLocaleString('en')} lines/s).`,
  ];
  if (s.notJson > 0) {
    parts.push(
      `${s.notJson.toLocaleString('en')} line${s.notJson === 1 ? ' was' : 's were'} not JSON and kept as plain messages.`,
    );
  }
  if (s.blank > 0) parts.push(`${s.blank} blank line${s.blank === 1 ? '' : 's'} skipped.`);
  if (s.oversized > 0) parts.push(`${s.oversized} line(s) over 16 MB skipped.`);
  if (s.truncated > 0)
    parts.push(`${s.truncated} line(s) were cut to the server's line-length limit.`);
  if (s.rejected > 0)
    parts.push(`The server rejected ${s.rejected} line(s): ${s.rejectReasons.join('; ')}`);
  if (s.unsent > 0)
    parts.push(`${s.unsent} line(s) were not sent (interrupted while the server was busy).`);
  return parts.join('\n');
}
