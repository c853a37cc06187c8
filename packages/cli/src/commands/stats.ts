import type { StatsResponse } from '@hopscope/server';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { write } from '../io.js';
import { renderStats } from '../render/stats-table.js';
import { addServerOptions, type ServerFlags } from '../server-options.js';
import { duration, serviceName } from '../validate.js';

interface StatsFlags extends ServerFlags {
  service?: string;
  since?: string;
  json?: boolean;
  color?: boolean;
}

export function registerStats(program: Command, ctx: CliContext): void {
  const command = program
    .command('stats')
    .description('RED table: rate, errors and p50/p95/p99 duration per service and operation.')
    .option('--service <name>', 'only this service', (v) => serviceName('--service', v))
    .option('--since <duration>', 'window, e.g. 15m, 1h, 7d (server default 1h)', (v) =>
      duration('--since', v),
    )
    .option('--json', 'print the raw /api/stats response')
    .option('--no-color', 'plain output (also NO_COLOR)')
    .addHelpText('after', '\nExample: hopscope stats --since 15m');
  addServerOptions(command).action(async (flags: StatsFlags) => {
    const client = ctx.client(flags);
    const { body } = await client.getJson<StatsResponse>('/api/stats', {
      service: flags.service,
      since: flags.since,
    });
    if (!body || !Array.isArray(body.services)) {
      throw new CliError(
        `${client.baseUrl}/api/stats answered without "services". Is it a Hopscope server?`,
        EXIT.server,
      );
    }
    const { stdout } = ctx.io;
    if (flags.json) {
      await write(stdout, `${JSON.stringify(body, null, 2)}\n`);
      return;
    }
    if (body.services.length === 0) {
      ctx.io.stderr.write(
        `No spans${flags.service ? ` for service ${flags.service}` : ''} since ${body.since} at ${client.baseUrl}.\n`,
      );
      return;
    }
    for (const line of renderStats(body, ctx.colors(flags.color))) await write(stdout, `${line}\n`);
  });
}
