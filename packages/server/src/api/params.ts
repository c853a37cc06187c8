/**
 * Query-parameter parsing. Each parser names the parameter and what it expected, so a 400 tells
 * the caller exactly what to fix. Durations accept Jaeger / Go forms (`250us`, `100ms`, `1.2s`,
 * `1h30m`) plus days (`7d`).
 */
import { z } from 'zod';

const UNIT_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
  d: 86_400e9,
};

const DURATION = /^(?:\d+(?:\.\d+)?|\.\d+)(?:ns|us|µs|ms|s|m|h|d)$/;
const DURATION_PART = /(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|ms|s|m|h|d)/g;

export const DURATION_EXPECTED = 'a duration like 100ms, 1.2s, 30m, 1h, 1h30m or 7d';
export const TIME_EXPECTED_US = 'epoch microseconds (Jaeger) or an ISO 8601 time';

/** `1h30m` → ns; null when not a duration. */
export function parseDurationNs(input: string): bigint | null {
  const s = input.trim();
  if (s === '' || s.length > 64) return null;
  let total = 0;
  let consumed = 0;
  for (const m of s.matchAll(DURATION_PART)) {
    if (m.index !== consumed || !DURATION.test(m[0])) return null;
    total += Number(m[1]) * UNIT_NS[m[2]];
    consumed += m[0].length;
  }
  if (consumed !== s.length || !Number.isFinite(total)) return null;
  return BigInt(Math.round(total));
}

function custom<T>(expected: string, parse: (s: string) => T | null) {
  return z.string().transform((s, ctx): T => {
    const v = parse(s);
    if (v === null) {
      ctx.addIssue({
        code: 'custom',
        message: `expected ${expected}, got ${JSON.stringify(s.slice(0, 80))}`,
      });
      return z.NEVER;
    }
    return v;
  });
}

export const duration = () => custom(DURATION_EXPECTED, parseDurationNs);

/** A lookback given as a duration or, as Jaeger's /api/dependencies does, integer milliseconds. */
export const durationOrMs = () =>
  custom(`${DURATION_EXPECTED}, or milliseconds`, (s) =>
    /^\d{1,15}$/.test(s) ? BigInt(s) * 1_000_000n : parseDurationNs(s),
  );

function isoToNs(s: string): bigint | null {
  if (!/^\d{4}-\d{2}-\d{2}/.test(s)) return null;
  const ms = Date.parse(s);
  return Number.isFinite(ms) ? BigInt(ms) * 1_000_000n : null;
}

/** Absolute time in epoch µs (Jaeger's start/end) or ISO 8601 → ns. */
export const timeUs = () =>
  custom(TIME_EXPECTED_US, (s) => (/^\d{1,17}$/.test(s) ? BigInt(s) * 1000n : isoToNs(s)));

/** Absolute time in epoch ms (Jaeger's endTs) or ISO 8601 → ns. */
export const timeMs = () =>
  custom('epoch milliseconds or an ISO 8601 time', (s) =>
    /^\d{1,14}$/.test(s) ? BigInt(s) * 1_000_000n : isoToNs(s),
  );

/** `until`/`since` in the debug API: an age (`1h` ago) or an absolute time. */
export const ageOrTime = () =>
  custom<AgeOrTime>(`${DURATION_EXPECTED} (an age), or an ISO 8601 / epoch ms time`, (s) => {
    const age = parseDurationNs(s);
    if (age !== null) return { kind: 'age', ns: age };
    if (/^\d{1,14}$/.test(s)) return { kind: 'at', ns: BigInt(s) * 1_000_000n };
    const at = isoToNs(s);
    return at === null ? null : { kind: 'at', ns: at };
  });

export type AgeOrTime = { kind: 'age' | 'at'; ns: bigint };

/** Resolves an age against `nowNs`. */
export function resolveTime(t: AgeOrTime, nowNs: bigint): bigint {
  return t.kind === 'age' ? nowNs - t.ns : t.ns;
}

export const int = (min: number, max: number) =>
  custom(`an integer from ${min} to ${max}`, (s) => {
    if (!/^\d{1,9}$/.test(s)) return null;
    const n = Number(s);
    return n >= min && n <= max ? n : null;
  });

export const oneOf = <T extends string>(values: readonly T[]) =>
  custom(`one of ${values.join(', ')}`, (s) =>
    (values as readonly string[]).includes(s.toLowerCase()) ? (s.toLowerCase() as T) : null,
  );

/** A comma list of known words, e.g. `include=spans,logs`. */
export const listOf = <T extends string>(values: readonly T[]) =>
  custom(`a comma list of ${values.join(', ')}`, (s) => {
    const parts = s.split(',').map((p) => p.trim().toLowerCase());
    return parts.every((p) => (values as readonly string[]).includes(p))
      ? ([...new Set(parts)] as T[])
      : null;
  });

export const bool = () =>
  custom('true or false', (s) =>
    s === 'true' || s === '1' ? true : s === 'false' || s === '0' ? false : null,
  );

export const text = (max = 256) =>
  custom(`text of 1 to ${max} characters`, (s) => (s.length >= 1 && s.length <= max ? s : null));

export const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;
export const requestId = () =>
  custom('a request ID: 1-128 of A-Z a-z 0-9 . _ : -', (s) => (REQUEST_ID_RE.test(s) ? s : null));
export const traceId = () =>
  custom('a trace ID of 32 hex digits', (s) =>
    /^[0-9a-fA-F]{32}$/.test(s)
      ? s.toLowerCase()
      : /^[0-9a-fA-F]{16}$/.test(s)
        ? `0000000000000000${s.toLowerCase()}`
        : null,
  );
export const spanId = () =>
  custom('a span ID of 16 hex digits', (s) =>
    /^[0-9a-fA-F]{16}$/.test(s) ? s.toLowerCase() : null,
  );
export const cursor = () =>
  custom('the next_cursor value of a previous page', (s) =>
    /^[A-Za-z0-9_-]{1,200}$/.test(s) ? s : null,
  );

/** Parsed tags of a trace search: Jaeger's JSON object, or `k=v` pairs separated by spaces. */
export function parseTags(
  raw: string | undefined,
  repeated: string[],
): Array<{ key: string; value: string }> | string {
  const tags: Array<{ key: string; value: string }> = [];
  if (raw !== undefined && raw.trim() !== '') {
    const s = raw.trim();
    if (s.startsWith('{')) {
      let obj: unknown;
      try {
        obj = JSON.parse(s);
      } catch {
        return 'expected a JSON object of strings like {"http.status_code":"500"}, or k=v pairs';
      }
      if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
        return 'expected a JSON object of strings like {"http.status_code":"500"}';
      }
      for (const [key, value] of Object.entries(obj)) {
        if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
          return `expected a string value for tag ${JSON.stringify(key)}`;
        }
        tags.push({ key, value: String(value) });
      }
    } else {
      for (const pair of s.split(/\s+/)) {
        const eq = pair.indexOf('=');
        if (eq <= 0)
          return `expected k=v pairs separated by spaces, got ${JSON.stringify(pair.slice(0, 80))}`;
        tags.push({ key: pair.slice(0, eq), value: pair.slice(eq + 1) });
      }
    }
  }
  for (const t of repeated) {
    const i = t.indexOf(':');
    if (i <= 0) return `tag: expected key:value, got ${JSON.stringify(t.slice(0, 80))}`;
    tags.push({ key: t.slice(0, i), value: t.slice(i + 1) });
  }
  if (tags.length > 20) return 'expected at most 20 tags';
  if (tags.some((t) => t.key.length > 256 || t.value.length > 1024)) {
    return 'expected tag keys up to 256 and values up to 1024 characters';
  }
  return tags;
}

export interface ParamProblem {
  param: string;
  message: string;
  expected: string;
}

/**
 * Validates a query against a schema of optional string parsers. Empty values count as absent
 * (the Jaeger UI sends `minDuration=`).
 */
export function parseQuery<S extends z.ZodRawShape>(
  shape: S,
  query: Record<string, string>,
): { ok: true; value: z.infer<z.ZodObject<S>> } | { ok: false; problem: ParamProblem } {
  const present: Record<string, string> = {};
  for (const [k, v] of Object.entries(query)) if (v !== '' && k in shape) present[k] = v;
  const result = z.object(shape).safeParse(present);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0];
  const param = String(issue.path[0] ?? '');
  const expected = issue.message.replace(/^expected /, '').replace(/, got .*$/, '');
  return { ok: false, problem: { param, message: `${param}: ${issue.message}`, expected } };
}
