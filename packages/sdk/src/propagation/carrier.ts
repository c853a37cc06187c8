import type { TextMapGetter, TextMapSetter } from '@opentelemetry/api';

/** Anything with the fetch `Headers` shape (also undici's and the browser's). */
export interface HeadersLike {
  get(name: string): string | null;
  set(name: string, value: string): void;
  keys(): Iterable<string>;
}

type CarrierValue =
  | string
  | number
  | Uint8Array
  | readonly (string | Uint8Array)[]
  | undefined
  | null;

/**
 * What `inject`/`extract` accept: plain objects (including node's IncomingHttpHeaders with array
 * values and OutgoingHttpHeaders), Kafka-style `Record<string, Buffer | string>` headers, fetch
 * `Headers`, and `Map`s. Later transports (NATS, AMQP, gRPC metadata, WebSocket) adapt to these.
 */
export type Carrier = HeadersLike | Map<string, CarrierValue> | Record<string, CarrierValue>;

function isHeadersLike(c: unknown): c is HeadersLike {
  return (
    typeof (c as HeadersLike).get === 'function' &&
    typeof (c as HeadersLike).set === 'function' &&
    !(c instanceof Map)
  );
}

const decoder = new TextDecoder();

function asString(v: string | number | Uint8Array): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return decoder.decode(v);
}

/** Normalises one carrier value: Buffers decoded as UTF-8, arrays kept as arrays of strings. */
function normalise(v: CarrierValue): string | string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v.map((x) => asString(x as string | Uint8Array));
  return asString(v as string | number | Uint8Array);
}

function findKey(obj: Record<string, unknown>, key: string): string | undefined {
  if (Object.hasOwn(obj, key)) return key;
  for (const k of Object.keys(obj)) if (k.toLowerCase() === key) return k;
  return undefined;
}

/** Reads headers case-insensitively from every carrier shape. Keys asked for are lowercase. */
export const carrierGetter: TextMapGetter<Carrier> = {
  get(carrier, key) {
    if (carrier === null || carrier === undefined) return undefined;
    if (isHeadersLike(carrier)) return carrier.get(key) ?? undefined;
    if (carrier instanceof Map) {
      if (carrier.has(key)) return normalise(carrier.get(key));
      for (const [k, v] of carrier) if (k.toLowerCase() === key) return normalise(v);
      return undefined;
    }
    const found = findKey(carrier, key);
    return found === undefined ? undefined : normalise(carrier[found]);
  },
  keys(carrier) {
    if (carrier === null || carrier === undefined) return [];
    if (isHeadersLike(carrier)) return [...carrier.keys()];
    if (carrier instanceof Map) return [...carrier.keys()];
    return Object.keys(carrier);
  },
};

/**
 * Reads node's `IncomingHttpHeaders` (`req.headers`), whose keys node has already lowercased:
 * one property read per header, where `carrierGetter` scans every key for a header that is
 * absent (most of the propagated ones, on most requests).
 */
export const nodeHeadersGetter: TextMapGetter<Record<string, string | string[] | undefined>> = {
  get(carrier, key) {
    const value = carrier[key];
    return typeof value === 'string' || Array.isArray(value) ? value : undefined;
  },
  keys(carrier) {
    return Object.keys(carrier);
  },
};

/**
 * Writes headers into every carrier shape. On plain objects an existing key in another casing is
 * replaced rather than duplicated (`X-Request-Id` and `x-request-id` would both be sent).
 */
export const carrierSetter: TextMapSetter<Carrier> = {
  set(carrier, key, value) {
    if (carrier === null || carrier === undefined) return;
    if (isHeadersLike(carrier)) {
      carrier.set(key, value);
      return;
    }
    if (carrier instanceof Map) {
      for (const k of carrier.keys()) if (k !== key && k.toLowerCase() === key) carrier.delete(k);
      carrier.set(key, value);
      return;
    }
    for (const k of Object.keys(carrier)) {
      if (k !== key && k.toLowerCase() === key) delete carrier[k];
    }
    carrier[key] = value;
  },
};
