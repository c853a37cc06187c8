/**
 * `--store clickhouse://user:password@host:8123/database?cluster=c&ttl_days=7&secure=1` parsed
 * into store options, with a message naming what is wrong.
 */
import { quoteIdent } from './schema.js';

export interface ClickHouseUrlOptions {
  /** http(s)://host:port of the server's HTTP interface. */
  url: string;
  username?: string;
  password?: string;
  database: string;
  cluster?: string;
  ttlDays?: number;
}

const KNOWN = new Set(['cluster', 'ttl_days', 'secure']);

export function parseClickHouseUrl(spec: string): ClickHouseUrlOptions {
  let u: URL;
  try {
    u = new URL(spec);
  } catch {
    throw new Error(`--store: "${spec}" is not a URL (expected clickhouse://host:8123/database)`);
  }
  if (u.protocol !== 'clickhouse:') {
    throw new Error(`--store: expected a clickhouse:// URL, got ${u.protocol}//`);
  }
  if (!u.hostname) throw new Error('--store: the clickhouse:// URL names no host');
  for (const key of u.searchParams.keys()) {
    if (!KNOWN.has(key)) {
      throw new Error(`--store: unknown option "${key}" (expected cluster, ttl_days or secure)`);
    }
  }
  const secure = u.searchParams.get('secure');
  const scheme = secure === '1' || secure === 'true' ? 'https' : 'http';
  const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || 'hopscope';
  quoteIdent(database);
  const cluster = u.searchParams.get('cluster') ?? undefined;
  if (cluster !== undefined) quoteIdent(cluster);
  const ttl = u.searchParams.get('ttl_days');
  let ttlDays: number | undefined;
  if (ttl !== null) {
    ttlDays = Number(ttl);
    if (!Number.isInteger(ttlDays) || ttlDays < 1) {
      throw new Error(`--store: ttl_days must be a whole number of days ≥ 1, got "${ttl}"`);
    }
  }
  return {
    url: `${scheme}://${u.hostname}:${u.port || (scheme === 'https' ? 8443 : 8123)}`,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    database,
    cluster,
    ttlDays,
  };
}
