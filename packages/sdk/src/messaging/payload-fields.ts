import { parseTraceparent } from '../propagation/traceparent.js';

/** Payloads larger than this are not parsed for trace fields: a consumer must stay cheap. */
const MAX_PARSED_PAYLOAD = 1024 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What a producer's headers carry, as seed 002's payload fields. */
export interface PayloadTraceFields {
  trace_id?: string;
  traceparent?: string;
  request_id?: string;
  services_encountered?: string[];
}

export function payloadFieldsFrom(headers: Record<string, string>): PayloadTraceFields {
  const fields: PayloadTraceFields = {};
  const parent = parseTraceparent(headers.traceparent);
  if (parent !== undefined) {
    fields.trace_id = parent.traceId;
    fields.traceparent = headers.traceparent;
  }
  if (headers['x-request-id'] !== undefined) fields.request_id = headers['x-request-id'];
  if (headers.services_encountered !== undefined) {
    fields.services_encountered = headers.services_encountered.split(',');
  }
  return fields;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/**
 * The body to send with trace fields added at its top level (seed 002: `trace_id`, `request_id`,
 * `services_encountered`, plus `traceparent` so a header-less consumer can continue the trace).
 * Objects are JSON-encoded; strings and bytes holding a JSON object are re-encoded with the
 * fields; anything else (binary, arrays, non-JSON text) is returned unchanged.
 */
export function addPayloadFields(
  body: unknown,
  fields: PayloadTraceFields,
): Uint8Array | string | unknown {
  if (isPlainObject(body)) return encoder.encode(JSON.stringify({ ...body, ...fields }));
  const parsed = parseObject(body);
  if (parsed === undefined) return body;
  const text = JSON.stringify({ ...parsed, ...fields });
  return typeof body === 'string' ? text : encoder.encode(text);
}

/** JSON objects only; anything else is undefined. Never throws. */
export function parseObject(body: unknown): Record<string, unknown> | undefined {
  if (typeof body !== 'string' && !(body instanceof Uint8Array)) return undefined;
  if (body.length === 0 || body.length > MAX_PARSED_PAYLOAD) return undefined;
  const first = typeof body === 'string' ? body.trimStart()[0] : firstNonSpace(body);
  if (first !== '{') return undefined;
  try {
    const value: unknown = JSON.parse(typeof body === 'string' ? body : decoder.decode(body));
    return isPlainObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function firstNonSpace(bytes: Uint8Array): string | undefined {
  for (const b of bytes) {
    if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return String.fromCharCode(b);
  }
  return undefined;
}

/**
 * Reads payload fields back as a header carrier (`traceparent`, `x-request-id`,
 * `services_encountered`), so the same validating `extract` handles them. Undefined when the
 * body carries none.
 */
export function readPayloadTrace(body: unknown): Record<string, string> | undefined {
  const obj = parseObject(body);
  if (obj === undefined) return undefined;
  const carrier: Record<string, string> = {};
  if (typeof obj.traceparent === 'string') carrier.traceparent = obj.traceparent;
  if (typeof obj.request_id === 'string') carrier['x-request-id'] = obj.request_id;
  if (Array.isArray(obj.services_encountered)) {
    carrier.services_encountered = obj.services_encountered
      .filter((s): s is string => typeof s === 'string')
      .join(',');
  }
  return Object.keys(carrier).length > 0 ? carrier : undefined;
}
