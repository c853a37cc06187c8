import type { DebugTraceResponse } from '@hopscope/server';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { write } from '../io.js';
import { terminalWidth } from '../render/format.js';
import { renderTrace } from '../render/waterfall.js';
import { addServerOptions, type ServerFlags } from '../server-options.js';
import { positiveInt, requestKey } from '../validate.js';

interface TraceFlags extends ServerFlags {
  json?: boolean;
  color?: boolean;
  maxSpans: number;
}

export function registerTrace(program: Command, ctx: CliContext): void {
  const command = program
    .command('trace')
    .description(
      'Every hop of one request: a waterfall of its spans across services, then its logs in time order.',
    )
    .argument('<id>', 'a request ID (req_3f9a…), a 32-hex trace ID, or a pasted traceparent')
    .option('--json', 'print the raw /api/debug/trace response')
    .option('--no-color', 'plain output (also NO_COLOR)')
    .option(
      '--max-spans <n>',
      'waterfall rows to draw',
      (v) => positiveInt('--max-spans', v, 100_000),
      300,
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 the request succeeded, 1 it failed (an error span or log), 3 not found.\n' +
        'Example: hopscope trace req_3f9a1c2b4d5e',
    );
  addServerOptions(command).action(async (id: string, flags: TraceFlags) => {
    ctx.exitCode = await trace(ctx, id, flags);
  });
}

async function trace(ctx: CliContext, input: string, flags: TraceFlags): Promise<number> {
  const key = requestKey(input);
  const client = ctx.client(flags);
  const response = await client.getJson<DebugTraceResponse>(
    `/api/debug/trace/${encodeURIComponent(key.value)}`,
    {},
    { accept: [404] },
  );
  if (response.status === 404) {
    throw new CliError(
      `No spans or logs for ${key.kind.replace('_', ' ')} ${key.value} at ${client.baseUrl}. ` +
        'Check the ID, the time it happened (older data may be past retention), and that its services send to this server.',
      EXIT.notFound,
    );
  }
  const data = response.body;
  if (!data || !Array.isArray(data.spans) || !Array.isArray(data.logs)) {
    throw new CliError(
      `${client.baseUrl} answered /api/debug/trace without spans and logs. Is it a Hopscope server?`,
      EXIT.server,
    );
  }
  const { stdout, env } = ctx.io;
  if (flags.json) {
    await write(stdout, `${JSON.stringify(data, null, 2)}\n`);
  } else {
    const colors = ctx.colors(flags.color);
    const lines = renderTrace(data, colors, {
      width: terminalWidth(stdout, env),
      maxSpans: flags.maxSpans,
    });
    for (const line of lines) await write(stdout, `${line}\n`);
  }
  return data.error_count > 0 || data.first_error !== null ? EXIT.failed : EXIT.ok;
}
