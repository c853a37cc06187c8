import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from '@opentelemetry/semantic-conventions';

/** Methods the HTTP semantic conventions name; anything else is reported as `_OTHER`. */
const KNOWN_METHODS = new Set([
  'CONNECT',
  'DELETE',
  'GET',
  'HEAD',
  'OPTIONS',
  'PATCH',
  'POST',
  'PUT',
  'QUERY',
  'TRACE',
]);

/** Attribute values taken from requests are capped: a 10 KB header must not become a 10 KB span. */
export const MAX_ATTRIBUTE_LENGTH = 1024;

export function cap(value: string, max = MAX_ATTRIBUTE_LENGTH): string {
  return value.length > max ? value.slice(0, max) : value;
}

/** The method as semantic conventions want it, plus the original when it was not a known one. */
export function methodAttributes(method: string | undefined, into: Attributes): string {
  const upper = (method ?? 'GET').toUpperCase();
  if (KNOWN_METHODS.has(upper)) {
    into[ATTR_HTTP_REQUEST_METHOD] = upper;
    if (method !== upper) into[ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = cap(method ?? '', 64);
    return upper;
  }
  into[ATTR_HTTP_REQUEST_METHOD] = '_OTHER';
  into[ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = cap(method ?? '', 64);
  return 'HTTP';
}

const HOST = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/;

// A service is mostly called under one Host: the last one parsed is kept.
let lastHost: string | undefined;
let lastDefaultPort = 0;
let lastAddress: string | undefined;
let lastPort = 0;

/** `server.address`/`server.port` from a Host (or :authority) value; junk is ignored. */
export function hostAttributes(host: string | undefined, defaultPort: number, into: Attributes) {
  if (host === undefined || host.length > 255) return;
  if (host !== lastHost || defaultPort !== lastDefaultPort) {
    const m = HOST.exec(host);
    lastHost = host;
    lastDefaultPort = defaultPort;
    lastAddress = m === null ? undefined : m[1];
    lastPort = m === null || m[2] === undefined ? defaultPort : Number(m[2]);
  }
  if (lastAddress === undefined) return;
  into[ATTR_SERVER_ADDRESS] = lastAddress;
  into[ATTR_SERVER_PORT] = lastPort;
}

/** Splits a request target into path and query without URL parsing (cheap, never throws). */
export function splitTarget(target: string | undefined): {
  path: string;
  query: string | undefined;
} {
  const t = target ?? '/';
  const q = t.indexOf('?');
  const hash = t.indexOf('#');
  const end = hash === -1 ? t.length : hash;
  if (q === -1 || q > end) return { path: cap(t.slice(0, end), 2048), query: undefined };
  return { path: cap(t.slice(0, q), 2048), query: t.slice(q + 1, end) };
}
