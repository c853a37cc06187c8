import type { AlertsResponse } from '@hopscope/server';
import type { Command } from 'commander';
import type { HopscopeClient } from '../client.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { write } from '../io.js';
import { renderAlerts } from '../render/alerts-table.js';
import { addServerOptions, type ServerFlags } from '../server-options.js';

interface AlertsFlags extends ServerFlags {
  json?: boolean;
  color?: boolean;
  history?: string;
  prometheus?: boolean;
}

export function registerAlerts(program: Command, ctx: CliContext): void {
  const command = program
    .command('alerts')
    .description(
      'Alert rules and their states (inactive, pending, firing, resolved), with example requests of firing alerts.',
    )
    .option('--json', 'print the raw /api/alerts response')
    .option('--history <n>', 'show the last n state changes (default 10, 0 for none)', (v) => {
      if (!/^\d{1,4}$/.test(v))
        throw new CliError(`--history: expected 0–9999, got "${v}"`, EXIT.usage);
      return v;
    })
    .option(
      '--prometheus',
      'print the rules as a Prometheus rule file (for promtool / Alertmanager)',
    )
    .option('--no-color', 'plain output (also NO_COLOR)')
    .addHelpText(
      'after',
      '\nRules come from `hopscope serve --alerts FILE` (YAML or JSON; see the server README).\n' +
        'Exit code 1 when an alert is firing.\nExample: hopscope alerts --history 20',
    );
  addServerOptions(command).action(async (flags: AlertsFlags) => {
    const client = ctx.client(flags);
    const { stdout } = ctx.io;
    if (flags.prometheus) {
      await write(stdout, await fetchText(client, '/api/alerts/prometheus-rules'));
      return;
    }
    const { body } = await client.getJson<AlertsResponse>('/api/alerts');
    if (!body || !Array.isArray(body.states)) {
      throw new CliError(
        `${client.baseUrl}/api/alerts answered without "states". Is it a Hopscope server?`,
        EXIT.server,
      );
    }
    if (body.states.some((s) => s.state === 'firing')) ctx.exitCode = EXIT.failed;
    if (flags.json) {
      await write(stdout, `${JSON.stringify(body, null, 2)}\n`);
      return;
    }
    if (!body.enabled) {
      ctx.io.stderr.write(
        `No alert rules at ${client.baseUrl}: start the server with --alerts FILE.\n`,
      );
      return;
    }
    const lines = renderAlerts(body, ctx.colors(flags.color), Number(flags.history ?? 10));
    for (const line of lines) await write(stdout, `${line}\n`);
  });
}

/** The Prometheus export is YAML, not JSON: fetched directly, with the client's token and errors. */
async function fetchText(client: HopscopeClient, path: string): Promise<string> {
  const url = client.url(path);
  const token = client.target.token;
  let res: Response;
  try {
    res = await fetch(url, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    throw new CliError(
      `Cannot reach the Hopscope server at ${client.baseUrl} (${(err as Error).message}).`,
      EXIT.unreachable,
    );
  }
  if (res.status === 404) {
    // The server's own "no rules" answer; any other 404 is not a Hopscope server.
    const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
    const message = body?.error?.message;
    if (message) throw new CliError(`${client.baseUrl}: ${message}`, EXIT.notFound);
    throw new CliError(`${url} answered 404. Is ${client.baseUrl} a Hopscope server?`, EXIT.server);
  }
  if (!res.ok) throw await client.errorFor(res, url);
  return res.text();
}
