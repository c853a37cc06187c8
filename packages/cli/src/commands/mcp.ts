import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { addServerOptions, type ServerFlags } from '../server-options.js';

/** The package's version, told to MCP clients (src/ and dist/ both sit two levels below it). */
function cliVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export function registerMcp(program: Command, ctx: CliContext): void {
  const command = program
    .command('mcp')
    .description(
      'An MCP server on stdio for coding agents: find_request, search_traces, get_trace_summary, ' +
        'get_span, get_logs, get_critical_path, get_service_map.',
    )
    .addHelpText(
      'after',
      '\nStarted by an MCP client, not by hand. Example client config:\n' +
        '  { "mcpServers": { "hopscope": { "command": "npx", "args": ["hopscope", "mcp"],\n' +
        '      "env": { "HOPSCOPE_URL": "http://127.0.0.1:4318" } } } }',
    );
  addServerOptions(command).action(async (flags: ServerFlags) => {
    // Resolved before the protocol starts, so a bad --server is a usage error on stderr.
    const client = ctx.client(flags);
    // The MCP SDK loads only for this command; `trace` and `logs` do not pay for it.
    const { serveStdio } = await import('../mcp/server.js');
    await serveStdio(client, ctx.io, cliVersion());
  });
}
