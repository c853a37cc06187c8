import { UsageError } from './errors.js';

const DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d|w))+$/;
const LEVELS = ['debug', 'info', 'warn', 'error', 'fatal'] as const;
export type Level = (typeof LEVELS)[number];

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const TRACE_ID = /^[0-9a-fA-F]{32}$/;
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/i;

/** `--since 1h`: the server's duration forms. */
export function duration(option: string, value: string): string {
  const text = value.trim();
  if (!DURATION.test(text)) {
    throw new UsageError(
      `${option}: expected a duration like 30s, 15m, 1h, 1h30m or 7d, got ${JSON.stringify(value)}`,
    );
  }
  return text;
}

/** `--since`: an age (`1h`) or, as the API also takes, an ISO 8601 time. */
export function sinceValue(option: string, value: string): string {
  const text = value.trim();
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) {
    if (!Number.isNaN(Date.parse(text.replace(' ', 'T')))) return text.replace(' ', 'T');
  }
  if (DURATION.test(text)) return text;
  throw new UsageError(
    `${option}: expected an age like 30s, 15m, 1h, 1h30m or 7d, or an ISO time like 2026-01-25T12:00:00Z, got ${JSON.stringify(value)}`,
  );
}

/** Milliseconds of a duration already checked by `duration()`. */
export function durationMs(text: string): number {
  const units: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    µs: 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
    d: 86_400_000,
    w: 604_800_000,
  };
  let total = 0;
  for (const [, amount, , unit] of text.matchAll(/(\d+(\.\d+)?)(ns|us|µs|ms|s|m|h|d|w)/g)) {
    total += Number(amount) * units[unit];
  }
  return total;
}

export function level(option: string, value: string): Level {
  const text = value.trim().toLowerCase();
  const normalised = text === 'warning' ? 'warn' : text === 'critical' ? 'fatal' : text;
  if (!(LEVELS as readonly string[]).includes(normalised)) {
    throw new UsageError(
      `${option}: expected one of ${LEVELS.join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return normalised as Level;
}

export function positiveInt(option: string, value: string, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1 || n > max) {
    throw new UsageError(
      `${option}: expected a whole number from 1 to ${max}, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/** The server's rule for `?service=`. */
const SERVICE = /^[\w.:/@-]{1,128}$/;

export function serviceName(option: string, value: string): string {
  const text = value.trim();
  if (!SERVICE.test(text)) {
    throw new UsageError(
      `${option}: expected a service name of 1–128 letters, digits or _ . : / @ -, got ${JSON.stringify(value)}`,
    );
  }
  return text;
}

export type RequestKey =
  | { kind: 'request_id'; value: string }
  | { kind: 'trace_id'; value: string }
  | { kind: 'traceparent'; value: string; traceId: string };

/** What `trace` and `search` accept: a request ID, a trace ID, or a pasted traceparent. */
export function requestKey(value: string): RequestKey {
  const text = value.trim();
  if (TRACEPARENT.test(text)) {
    return {
      kind: 'traceparent',
      value: text.toLowerCase(),
      traceId: text.slice(3, 35).toLowerCase(),
    };
  }
  if (TRACE_ID.test(text) && !/^req_/.test(text))
    return { kind: 'trace_id', value: text.toLowerCase() };
  if (REQUEST_ID.test(text)) return { kind: 'request_id', value: text };
  throw new UsageError(
    `expected a request ID (1–128 of A-Z a-z 0-9 . _ : -, like req_3f9a1c2b4d5e), a 32-hex trace ID ` +
      `or a traceparent (00-<32 hex>-<16 hex>-<2 hex>), got ${JSON.stringify(value)}`,
  );
}
