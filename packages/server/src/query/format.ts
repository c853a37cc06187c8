/** Small conversions shared by the debug, Jaeger and stats views. */
import type { HopStatus, JsonAttributes, SpanKindName } from '../api/types.js';
import type { Attributes, SpanKind, StatusCode } from '../store/records.js';

export const KIND_NAMES: Record<SpanKind, SpanKindName> = {
  0: 'unspecified',
  1: 'internal',
  2: 'server',
  3: 'client',
  4: 'producer',
  5: 'consumer',
};

export const KIND_BY_NAME: Record<string, SpanKind> = {
  unspecified: 0,
  internal: 1,
  server: 2,
  client: 3,
  producer: 4,
  consumer: 5,
};

export function statusName(code: StatusCode): HopStatus {
  return code === 2 ? 'error' : code === 1 ? 'ok' : 'unset';
}

/** Epoch ns → epoch µs as a JS number (exact until year 2255). */
export function nsToUs(ns: bigint): number {
  return Number(ns / 1000n);
}

/** Epoch ns → ISO 8601 UTC with milliseconds. */
export function nsToIso(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString();
}

/** ns → float ms, keeping µs precision. */
export function nsToMs(ns: bigint): number {
  return Number(ns / 1000n) / 1000;
}

export function msToNs(ms: number): bigint {
  return BigInt(Math.round(ms * 1e6));
}

export function jsonAttributes(a: Attributes): JsonAttributes {
  return a as JsonAttributes;
}

/** A numeric field that log shippers may write as a number or a numeric string. */
export function numberField(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

export function stringField(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}
