import { ProtoWriter } from '../log/otlp/proto-writer.js';

/**
 * The OTLP common.proto pieces both exporters write (AnyValue, KeyValue, attributes, IDs), with
 * the bytes the official serializers produce for the same values.
 */

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;
const INT64_MIN = -(2 ** 63);
const INT64_MAX = 2 ** 63; // exclusive
const SMALL_INT = 2 ** 28; // four varint bytes at most

/**
 * An AnyValue's fields for an attribute or JSON value, typed as the official serializers type
 * them: strings, booleans, integers in the int64 range as int_value and other numbers as
 * double_value, Uint8Array as bytes, arrays and objects as array and kvlist values (own keys);
 * null and undefined as an empty AnyValue.
 */
export function anyValue(w: ProtoWriter, value: unknown): void {
  switch (typeof value) {
    case 'string':
      w.tag(1, WIRE_LEN);
      w.string(value);
      return;
    case 'boolean':
      w.tag(2, WIRE_VARINT);
      w.varint(value ? 1 : 0);
      return;
    case 'number':
      if (Number.isInteger(value) && value >= INT64_MIN && value < INT64_MAX) {
        w.tag(3, WIRE_VARINT);
        w.int64(value);
      } else {
        w.tag(4, WIRE_FIXED64);
        w.double(value);
      }
      return;
    case 'object': {
      if (value === null) return;
      if (value instanceof Uint8Array) {
        w.tag(7, WIRE_LEN);
        w.varint(value.length);
        w.raw(value);
        return;
      }
      if (Array.isArray(value)) {
        w.tag(5, WIRE_LEN);
        const list = w.begin();
        for (const item of value) {
          w.tag(1, WIRE_LEN);
          const at = w.begin();
          anyValue(w, item);
          w.end(at);
        }
        w.end(list);
        return;
      }
      w.tag(6, WIRE_LEN);
      const list = w.begin();
      const map = value as Record<string, unknown>;
      for (const key in map) {
        if (!Object.hasOwn(map, key)) continue;
        attribute(w, 1, key, map[key]);
      }
      w.end(list);
      return;
    }
  }
}

export function keyValue(w: ProtoWriter, key: string, value: unknown): void {
  w.tag(1, WIRE_LEN);
  w.string(key);
  w.tag(2, WIRE_LEN);
  const at = w.begin();
  anyValue(w, value);
  w.end(at);
}

// A KeyValue's key field (tag, length, UTF-8) per key: the same few keys come with every span
// and record, so they are encoded once.
const KEY_CACHE_SIZE = 1024;
const keyCache = new Map<string, Uint8Array>();

function keyField(key: string): Uint8Array {
  let bytes = keyCache.get(key);
  if (bytes === undefined) {
    const w = new ProtoWriter(key.length * 3 + 8);
    w.tag(1, WIRE_LEN);
    w.string(key);
    bytes = Uint8Array.from(w.finish());
    // keys are the program's, but one logging computed keys must not grow this
    if (keyCache.size >= KEY_CACHE_SIZE) keyCache.clear();
    keyCache.set(key, bytes);
  }
  return bytes;
}

/**
 * One KeyValue as the repeated message field `field` (< 16). Short ASCII strings and small
 * non-negative integers, most attribute values, are written in one pass with their lengths
 * known up front; anything else takes the general path (same bytes).
 */
export function attribute(w: ProtoWriter, field: number, key: string, value: unknown): void {
  if (typeof value === 'string') {
    if (value.length < 100 && writeShortString(w, field, keyField(key), value)) return;
  } else if (typeof value === 'number' && Number.isInteger(value) && value >= 0) {
    if (value < SMALL_INT && writeSmallInt(w, field, keyField(key), value)) return;
  }
  w.tag(field, WIRE_LEN);
  const at = w.begin();
  keyValue(w, key, value);
  w.end(at);
}

/**
 * The head of a KeyValue whose lengths fit one byte, up to its AnyValue's first field: the
 * message's tag and length, the key field, the value's tag and the AnyValue's length. Returns
 * the position after it; the caller has reserved the room.
 */
function keyValueHead(
  buf: Buffer,
  pos: number,
  field: number,
  key: Uint8Array,
  anyLength: number,
): number {
  buf[pos++] = (field << 3) | WIRE_LEN;
  buf[pos++] = key.length + 2 + anyLength;
  for (let i = 0; i < key.length; i++) buf[pos++] = key[i] as number;
  buf[pos++] = (2 << 3) | WIRE_LEN;
  buf[pos++] = anyLength;
  return pos;
}

/** `false` (nothing written) when the value is not ASCII or the KeyValue needs a longer length. */
function writeShortString(w: ProtoWriter, field: number, key: Uint8Array, value: string): boolean {
  const n = value.length;
  const anyLength = 2 + n; // string_value: tag, length, bytes
  const kvLength = key.length + 2 + anyLength; // key field, value: tag, length, AnyValue
  if (kvLength >= 128) return false;
  w.reserve(2 + kvLength);
  const buf = w.buf;
  const valueAt = w.pos + 2 + key.length + 4;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c >= 128) return false;
    buf[valueAt + i] = c;
  }
  const pos = keyValueHead(buf, w.pos, field, key, anyLength);
  buf[pos] = (1 << 3) | WIRE_LEN;
  buf[pos + 1] = n;
  w.pos = valueAt + n;
  return true;
}

function writeSmallInt(w: ProtoWriter, field: number, key: Uint8Array, value: number): boolean {
  const varintLength = value < 128 ? 1 : value < 16_384 ? 2 : value < 2_097_152 ? 3 : 4;
  const anyLength = 1 + varintLength; // int_value: tag, varint
  const kvLength = key.length + 2 + anyLength;
  if (kvLength >= 128) return false;
  w.reserve(2 + kvLength);
  const buf = w.buf;
  let pos = keyValueHead(buf, w.pos, field, key, anyLength);
  buf[pos++] = (3 << 3) | WIRE_VARINT;
  let v = value;
  while (v >= 128) {
    buf[pos++] = (v & 127) | 128;
    v >>>= 7;
  }
  buf[pos++] = v;
  w.pos = pos;
  return true;
}

/**
 * Hex digits as length-delimited bytes (length prefix included), decoded as the official
 * serializers decode them; written here rather than by Buffer's native hex decoder, whose call
 * costs more than the 16 or 32 digits of an ID.
 */
export function hexId(w: ProtoWriter, hex: string): void {
  const n = hex.length >>> 1;
  w.varint(n);
  w.reserve(n);
  const buf = w.buf;
  let pos = w.pos;
  for (let i = 0; i < 2 * n; i += 2) {
    buf[pos++] = (digit(hex.charCodeAt(i)) << 4) | digit(hex.charCodeAt(i + 1));
  }
  w.pos = pos;
}

/** A hex digit's value, by the official serializer's rule (other characters give what it gives). */
function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  return c - 55;
}

// nibble() by char code: one load per digit instead of two comparisons
const DIGIT = Int16Array.from({ length: 128 }, (_, c) => nibble(c));

function digit(c: number): number {
  return c < 128 ? (DIGIT[c] as number) : nibble(c);
}
