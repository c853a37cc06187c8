import { existsSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { BIN } from '../child.js';

export interface McpSession {
  client: Client;
  stderr: () => string;
  close: () => Promise<void>;
}

/** `hopscope mcp` as an agent runs it: a child process spoken to over stdio by the SDK's client. */
export async function startMcp(
  env: Record<string, string>,
  args: string[] = [],
): Promise<McpSession> {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npx tsc -b\` first`);
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'mcp', ...args],
    env: { PATH: process.env.PATH ?? '', ...env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const client = new Client({ name: 'hopscope-test', version: '0.0.0' });
  await client.connect(transport);
  return { client, stderr: () => stderr, close: () => client.close() };
}

/** Tests read answers by path; a wrong path fails the assertion, which is what it should do. */
// biome-ignore lint/suspicious/noExplicitAny: answers are JSON read freely in assertions
export type Answer = Record<string, any>;

export interface ToolAnswer {
  isError: boolean;
  text: string;
  /** The JSON answer; {} when the text is not JSON (errors, cut answers). */
  json: Answer;
}

export async function call(
  session: McpSession,
  name: string,
  args: Record<string, unknown>,
): Promise<ToolAnswer> {
  const result = (await session.client.callTool({ name, arguments: args })) as CallToolResult;
  const first = result.content[0];
  const text = first?.type === 'text' ? first.text : '';
  let json: Answer = {};
  try {
    json = JSON.parse(text) as Answer;
  } catch {
    // Errors are plain sentences.
  }
  return { isError: result.isError === true, text, json };
}
