import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { HopscopeClient } from '../client.js';
import type { CliIO } from '../io.js';
import { registerRequestTools } from './request-tools.js';
import { registerSearchTools } from './search-tools.js';

const INSTRUCTIONS =
  'Hopscope answers "what happened to request req_…?" across services. Start with find_request ' +
  'when you have a request ID, trace ID or traceparent (from a log line, an x-request-id header or ' +
  'an error report), or with search_traces / get_service_map when you do not. Answers are small ' +
  'summaries; drill down with get_trace_summary (the hops), get_span (one span), get_logs and ' +
  'get_critical_path.';

/** The MCP server with every Hopscope tool, each calling the query API through `client`. */
export function createMcpServer(client: HopscopeClient, version: string): McpServer {
  const server = new McpServer(
    { name: 'hopscope', title: 'Hopscope', version },
    { instructions: INSTRUCTIONS },
  );
  registerRequestTools(server, client);
  registerSearchTools(server, client);
  return server;
}

/**
 * Serves MCP on the process's stdin/stdout until the client closes stdin (or Ctrl-C). stdout is
 * the protocol channel: nothing else may be written to it.
 */
export async function serveStdio(
  client: HopscopeClient,
  io: CliIO,
  version: string,
): Promise<void> {
  const server = createMcpServer(client, version);
  const transport = new StdioServerTransport(io.stdin, io.stdout);
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    // The transport does not end on EOF; a client that closes our stdin is done with us.
    io.stdin.once('end', () => void server.close());
    io.stdin.once('close', () => void server.close());
    io.signal.addEventListener('abort', () => void server.close(), { once: true });
  });
  await server.connect(transport);
  io.stderr.write(`hopscope mcp: serving MCP on stdio, querying ${client.baseUrl}\n`);
  if (io.stdin.isTTY) {
    io.stderr.write(
      'hopscope mcp: stdin is a terminal; this command is meant to be started by an MCP client (see hopscope mcp --help). Ctrl-C to stop.\n',
    );
  }
  await closed;
}
