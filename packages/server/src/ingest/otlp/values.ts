import type { Attributes, AttributeValue } from '../../store/records.js';
import { IngestInputError } from '../errors.js';
import type { Sanitizer } from '../sanitize.js';

/**
 * Field readers shared by the OTLP/JSON and OTLP/protobuf paths. protobufjs hands over messages
 * with the same lowerCamelCase field names as OTLP/JSON; the differences (hex strings vs bytes,
 * decimal strings vs Long, enum names vs numbers) are absorbed here. Every reader names the
 * field path in its error so a 400 says exactly what is wrong.
 */

export type Wire = 'json' | 'proto';

interface LongLike {
  low: number;
  high: number;
  unsigned?: boolean;
}

function isLong(v: unknown): v is LongLike {
  return typeof v === 'object' && v !== null && typeof (v as LongLike).low === 'number';
}

export function fail(path: string, message: string): never {
  throw new IngestInputError(`${path}: ${message}`);
}

export function array(v: unknown, path: string): readonly unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(path, `expected an array, got ${describe(v)}`);
  return v;
}

export function object(v: unknown, path: string): Record<string, unknown> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v))
    fail(path, `expected an object, got ${describe(v)}`);
  return v as Record<string, unknown>;
}

export function string(v: unknown, path: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') fail(path, `expected a string, got ${describe(v)}`);
  return v;
}

const DECIMAL = /^-?\d{1,20}$/;

const MAX_NANOS = 2n ** 63n - 1n;

/**
 * Epoch nanoseconds: Long (protobuf), decimal string or number (JSON). OTLP allows any uint64;
 * the store keeps signed 64-bit, so anything past 2262-04-11 is refused as nonsense.
 */
export function nanos(v: unknown, path: string): bigint {
  if (v === undefined || v === null || v === 0 || v === '') return 0n;
  let n: bigint | undefined;
  if (isLong(v)) n = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  else if (typeof v === 'string' && DECIMAL.test(v) && v[0] !== '-') n = BigInt(v);
  else if (typeof v === 'number' && Number.isInteger(v) && v >= 0) n = BigInt(v);
  if (n === undefined) {
    return fail(
      path,
      `expected unsigned 64-bit nanoseconds as a decimal string, got ${describe(v)}`,
    );
  }
  if (n > MAX_NANOS) fail(path, `${n} nanoseconds is after the year 2262`);
  return n;
}

/** Signed 64-bit integer attribute: kept as a JS number when exact, else as its decimal string. */
function int64(v: unknown, path: string): number | string {
  let n: bigint;
  if (isLong(v)) {
    n = BigInt.asIntN(64, (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0));
  } else if (typeof v === 'number' && Number.isInteger(v)) {
    return v;
  } else if (typeof v === 'string' && DECIMAL.test(v)) {
    n = BigInt(v);
    if (n >= 2n ** 63n || n < -(2n ** 63n)) fail(path, 'integer out of 64-bit range');
  } else {
    return fail(path, `expected a 64-bit integer, got ${describe(v)}`);
  }
  const asNumber = Number(n);
  return Number.isSafeInteger(asNumber) ? asNumber : n.toString();
}

function double(v: unknown, path: string): number | string {
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  // OTLP/JSON spells non-finite doubles as strings.
  if (v === 'NaN' || v === 'Infinity' || v === '-Infinity') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return fail(path, `expected a number, got ${describe(v)}`);
}

const HEX = /^[0-9a-fA-F]*$/;

/**
 * A trace (16 bytes) or span (8 bytes) ID as lowercase hex; '' when absent. Returns an error
 * message instead of throwing: a bad ID rejects one span, not the request.
 */
export function id(
  v: unknown,
  bytes: 8 | 16,
  wire: Wire,
): { hex: string; error?: undefined } | { hex?: undefined; error: string } {
  // protobufjs gives an unset bytes field as an empty array.
  if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) return { hex: '' };
  let hex: string;
  if (wire === 'proto' && v instanceof Uint8Array) {
    if (v.length === 0) return { hex: '' };
    if (v.length !== bytes) return { error: `expected ${bytes} bytes, got ${v.length}` };
    hex = Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  } else if (typeof v === 'string') {
    if (v === '') return { hex: '' };
    if (v.length !== bytes * 2 || !HEX.test(v)) {
      return {
        error: `expected ${bytes * 2} hex characters, got ${JSON.stringify(v.slice(0, 80))}`,
      };
    }
    hex = v.toLowerCase();
  } else {
    return { error: `expected a hex string, got ${describe(v)}` };
  }
  if (/^0+$/.test(hex)) return { error: 'all-zero IDs are invalid' };
  return { hex };
}

/** Enum as number or as its proto name (`SPAN_KIND_SERVER`), OTLP/JSON allows either. */
export function enumValue(v: unknown, names: readonly string[], path: string, max: number): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max) return v;
  if (typeof v === 'string') {
    const i = names.indexOf(v);
    if (i >= 0) return i;
  }
  return fail(path, `expected one of ${names.join(', ')} or 0–${max}, got ${describe(v)}`);
}

/** OTLP AnyValue → a typed JS value (numbers stay numbers, bytes become base64). */
export function anyValue(
  v: unknown,
  path: string,
  wire: Wire,
  depth: number,
  s: Sanitizer,
): AttributeValue {
  const o = object(v, path);
  if (!o) return null;
  if (depth > s.limits.maxValueDepth) {
    fail(path, `value nested deeper than ${s.limits.maxValueDepth} levels`);
  }
  // protobufjs puts field defaults on the message prototype ('' for stringValue), so the set
  // oneof member is the one that is an own property, in decoded messages and JSON alike.
  if (has(o, 'stringValue')) return s.text(string(o.stringValue, `${path}.stringValue`));
  if (has(o, 'intValue')) return int64(o.intValue, `${path}.intValue`);
  if (has(o, 'doubleValue')) return double(o.doubleValue, `${path}.doubleValue`);
  if (has(o, 'boolValue')) {
    if (typeof o.boolValue !== 'boolean') fail(`${path}.boolValue`, 'expected a boolean');
    return o.boolValue;
  }
  if (has(o, 'arrayValue')) {
    const values = array(
      object(o.arrayValue, `${path}.arrayValue`)?.values,
      `${path}.arrayValue.values`,
    );
    const out: AttributeValue[] = [];
    const n = Math.min(values.length, s.limits.maxAttributes);
    if (values.length > n) s.counts.truncatedValues++;
    for (let i = 0; i < n; i++) {
      out.push(anyValue(values[i], `${path}.arrayValue.values[${i}]`, wire, depth + 1, s));
    }
    return out;
  }
  if (has(o, 'kvlistValue')) {
    const values = object(o.kvlistValue, `${path}.kvlistValue`)?.values;
    return attributes(values, `${path}.kvlistValue.values`, wire, depth + 1, s);
  }
  if (has(o, 'bytesValue')) {
    if (o.bytesValue instanceof Uint8Array) {
      return s.text(Buffer.from(o.bytesValue).toString('base64'));
    }
    return s.text(string(o.bytesValue, `${path}.bytesValue`));
  }
  return null;
}

/** KeyValue[] → Attributes, with the count cap and credential redaction applied. */
export function attributes(
  v: unknown,
  path: string,
  wire: Wire,
  depth: number,
  s: Sanitizer,
): Attributes {
  const list = array(v, path);
  const out: Attributes = {};
  const n = Math.min(list.length, s.limits.maxAttributes);
  if (list.length > n) s.counts.truncatedAttributes += list.length - n;
  for (let i = 0; i < n; i++) {
    const kv = object(list[i], `${path}[${i}]`);
    if (!kv) continue;
    const key = string(kv.key, `${path}[${i}].key`);
    const value = anyValue(kv.value, `${path}[${i}].value`, wire, depth, s);
    out[key] = s.redactKey(key, value);
  }
  return out;
}

function has(o: Record<string, unknown>, key: string): boolean {
  return Object.hasOwn(o, key) && o[key] !== null && o[key] !== undefined;
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v.slice(0, 40))}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v).slice(0, 40)}`;
}
