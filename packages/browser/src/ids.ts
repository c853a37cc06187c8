/**
 * IDs with the Web Crypto API only (no Node built-ins): request IDs in the Hopscope shape
 * (`req_` + 12 lowercase hex) and W3C trace/span IDs.
 */

const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function randomHex(bytes: number): string {
  const buf = new Uint8Array(bytes);
  globalThis.crypto.getRandomValues(buf);
  let out = '';
  for (const b of buf) out += b.toString(16).padStart(2, '0');
  return out;
}

/** A fresh request ID: `req_` + 12 lowercase hex, as the Node SDK makes them. */
export function generateRequestId(): string {
  return `req_${randomHex(6)}`;
}

/** What servers accept as `x-request-id`: 1–128 characters of `[A-Za-z0-9._:-]`. */
export function isValidRequestId(value: unknown): value is string {
  return typeof value === 'string' && VALID_REQUEST_ID.test(value);
}

function nonZeroHex(bytes: number): string {
  for (;;) {
    const id = randomHex(bytes);
    if (!/^0+$/.test(id)) return id;
  }
}

/** A random 32-hex trace ID (never all zeros, which W3C forbids). */
export function generateTraceId(): string {
  return nonZeroHex(16);
}

export function generateSpanId(): string {
  return nonZeroHex(8);
}

/**
 * A `traceparent` for a trace born in the browser: sampled, and flagged random (Trace Context
 * Level 2) because the IDs come from a CSPRNG.
 */
export function newTraceparent(traceId = generateTraceId(), spanId = generateSpanId()): string {
  return `00-${traceId}-${spanId}-03`;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/** The trace ID of a version-00 `traceparent`, or undefined. */
export function traceIdOf(traceparent: string | null | undefined): string | undefined {
  const m =
    traceparent === null || traceparent === undefined ? null : TRACEPARENT.exec(traceparent);
  return m === null ? undefined : m[1];
}
