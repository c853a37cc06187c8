import type { Command } from 'commander';
import { UsageError } from './errors.js';

export const DEFAULT_SERVER = 'http://127.0.0.1:4318';

export interface ServerFlags {
  server?: string;
  token?: string;
}

/** Which token a command needs: the server has one for reading and one for ingest. */
export type TokenKind = 'query' | 'ingest';

export interface ServerTarget {
  baseUrl: string;
  token?: string;
  /** Where the token came from, named in 401 messages (`--token`, `HOPSCOPE_TOKEN`, …). */
  tokenSource?: string;
  /** The variable a user would set, named when no token was given. */
  tokenHint: string;
}

export function addServerOptions(command: Command): Command {
  return command
    .option('--server <url>', `Hopscope server URL (env HOPSCOPE_URL, default ${DEFAULT_SERVER})`)
    .option('--token <token>', 'bearer token (env HOPSCOPE_TOKEN)');
}

export function resolveServer(
  flags: ServerFlags,
  env: NodeJS.ProcessEnv,
  kind: TokenKind,
): ServerTarget {
  const raw = flags.server ?? env.HOPSCOPE_URL ?? DEFAULT_SERVER;
  const source = flags.server !== undefined ? '--server' : env.HOPSCOPE_URL ? 'HOPSCOPE_URL' : '';
  const baseUrl = normaliseUrl(raw, source);
  const specific = kind === 'query' ? 'HOPSCOPE_QUERY_TOKEN' : 'HOPSCOPE_INGEST_TOKEN';
  const candidates: Array<[string, string | undefined]> = [
    ['--token', flags.token],
    ['HOPSCOPE_TOKEN', env.HOPSCOPE_TOKEN],
    [specific, env[specific]],
  ];
  const found = candidates.find(([, value]) => value !== undefined && value !== '');
  const tokenHint = `--token or HOPSCOPE_TOKEN (the server's ${kind} token, ${specific} where it runs)`;
  return found
    ? { baseUrl, token: found[1], tokenSource: found[0], tokenHint }
    : { baseUrl, tokenHint };
}

function normaliseUrl(raw: string, source: string): string {
  const text = raw.trim();
  // `127.0.0.1:4318` and `localhost:4318` are what people type.
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(
      `${source || 'server URL'}: expected a URL like ${DEFAULT_SERVER}, got ${JSON.stringify(raw)}`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(
      `${source || 'server URL'}: expected an http:// or https:// URL, got ${JSON.stringify(raw)}`,
    );
  }
  return url.href.replace(/\/+$/, '');
}
