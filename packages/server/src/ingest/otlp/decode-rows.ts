/**
 * OTLP protobuf trace exports straight into the rows the DuckDB store's columns take
 * (SpanRow), when no stage needs SpanRecords (the DuckDB store, no tail sampling, no peer
 * routing): on ingest workers, and on the main thread of a server without them (export.ts,
 * ctx.directRows). Same validation, errors, redaction, caps, request-ID promotion and AI
 * fields as decodeTraceRequest → normaliseBatch → encodeSpans, which decode-rows.test.ts checks
 * column for column; what it saves is most of the per-span work and garbage: hex IDs, BigInt
 * times, attribute objects, SpanRecords.
 */
import { AI_KEY, extractAi } from '../../pipeline/ai/normalize.js';
import type { PriceTable } from '../../pipeline/ai/prices.js';
import { MOVED_PLACEHOLDER, mayMove, movedBit } from '../../store/duckdb/ai-attrs.js';
import { SpanRow, splitAttributes } from '../../store/duckdb/span-chunks.js';
import type {
  Attributes,
  AttributeValue,
  SpanEventRecord,
  SpanLinkRecord,
} from '../../store/records.js';
import { eventsJson, linksJson } from '../../store/span-json.js';
import { IngestInputError } from '../errors.js';
import type { SanitizeCounts, Sanitizer } from '../sanitize.js';
import { REQUEST_ID, REQUEST_ID_KEYS, requestIdOf } from './convert.js';
import {
  Decoder,
  decodeEvent,
  decodeLink,
  decodeStatus,
  outer,
  scopeSpans,
  topLevel,
  wrap,
} from './decode-proto.js';
import { FIXED64, LEN, VARINT, Wire, WireError } from './wire.js';

/** What one export request turned into, as decodeTraceRequest's Converted but in rows. */
export interface DecodedRows {
  rows: SpanRow[];
  /** [service, name, kind] of the accepted spans, each once, in arrival order. */
  operations: [string, string, number][];
  rejected: number;
  firstError?: string;
}

/**
 * One attribute key list (the keys of a span in order, request.id included), reached by walking
 * a trie of Maps over the decoder's interned key strings: spans of one kind share it, so what
 * depends only on the keys is worked out once per list.
 */
class KeyList {
  readonly next = new Map<string, KeyList>();
  /**
   * No key twice, none an array index, none `__proto__`: an attributes object of these keys
   * holds them in this order, one value each, so the list stands for the object.
   */
  readonly regular: boolean;
  /** Some key may feed an AI field (normalize.ts's mayHaveAi). */
  readonly ai: boolean;
  /** Where each of REQUEST_ID_KEYS sits, -1 when absent. */
  readonly requestAt: number[];
  /** Where keys sit whose token counts may be kept in the ai columns alone (ai-attrs.ts). */
  readonly moved: number[];
  private jsonAll?: string;
  private jsonWithout?: string;
  /**
   * The last spans' values (request.id's place skipped) and their attr_values JSON: spans of one
   * kind often repeat them (method, route, status, peer), and a repeat then costs a few
   * comparisons instead of a JSON.stringify, and packs as the same string.
   */
  private readonly recent: AttributeValue[][] = [];
  private readonly recentAt: number[] = [];
  private readonly recentJson: string[] = [];
  private nextRecent = 0;

  constructor(
    readonly keys: string[],
    parent?: KeyList,
  ) {
    const n = keys.length;
    const k = keys[n - 1];
    if (parent === undefined || k === undefined) {
      this.regular = true;
      this.ai = false;
      this.requestAt = REQUEST_ID_KEYS.map(() => -1);
      this.moved = [];
      return;
    }
    this.regular =
      parent.regular && k !== '__proto__' && !/^\d+$/.test(k) && !parent.keys.includes(k);
    this.ai = parent.ai || AI_KEY.test(k);
    this.requestAt = parent.requestAt.map((at, j) => (REQUEST_ID_KEYS[j] === k ? n - 1 : at));
    this.moved = mayMove(k) ? [...parent.moved, n - 1] : parent.moved;
  }

  /** attr_keys' JSON of the list, without the key at `at` when it is ≥ 0 (request.id's place). */
  json(at: number): string {
    if (at < 0) {
      this.jsonAll ??= JSON.stringify(this.keys);
      return this.jsonAll;
    }
    this.jsonWithout ??= JSON.stringify(this.keys.filter((_, i) => i !== at));
    return this.jsonWithout;
  }

  /**
   * attr_values' JSON of the first `n` of `values` (this list's, in a scratch array the caller
   * reuses), without the one at `at` when it is ≥ 0.
   */
  valuesJson(values: readonly AttributeValue[], n: number, at: number): string {
    for (let k = 0; k < this.recent.length; k++) {
      if (this.recentAt[k] !== at) continue;
      // `seen` holds the values without the one at `at`.
      const seen = this.recent[k]!;
      let i = 0;
      while (i < n && (i === at || seen[i < at || at < 0 ? i : i - 1] === values[i])) i++;
      if (i === n) return this.recentJson[k]!;
    }
    const own: AttributeValue[] = new Array(at < 0 ? n : n - 1);
    for (let i = 0, j = 0; i < n; i++) if (i !== at) own[j++] = values[i]!;
    const json = JSON.stringify(own);
    // Short ones only: the trie's lists would otherwise keep long values alive.
    if (json.length <= MAX_RECENT_JSON) {
      const slot = this.nextRecent;
      this.nextRecent = (slot + 1) % RECENT;
      this.recent[slot] = own;
      this.recentAt[slot] = at;
      this.recentJson[slot] = json;
    }
    return json;
  }
}

/** Values kept per key list for valuesJson, and the longest JSON kept. */
const RECENT = 4;
const MAX_RECENT_JSON = 256;

/** Past this many lists (random keys, say) the trie starts over. */
const MAX_LISTS = 20_000;
let root = new KeyList([]);
let lists = 0;

function listOf(keys: readonly string[], count: number): KeyList | undefined {
  let node = root;
  for (let i = 0; i < count; i++) {
    const k = keys[i]!;
    let n = node.next.get(k);
    if (n === undefined) {
      if (++lists > MAX_LISTS) {
        root = new KeyList([]);
        lists = 0;
        return undefined;
      }
      n = new KeyList([...node.keys, k], node);
      node.next.set(k, n);
    }
    node = n;
  }
  return node;
}

/** A span's attributes as the decoder met them (after caps and redaction), in order. */
class Pairs {
  /** Scratch arrays reused span after span: their first `count` entries are this span's. */
  readonly keys: string[] = [];
  readonly values: AttributeValue[] = [];
  count = 0;
  /** Occurrences met, counted against maxAttributes as Decoder.attribute counts them. */
  n = 0;

  clear(): void {
    this.count = 0;
    this.n = 0;
  }

  add(key: string, value: AttributeValue): void {
    this.keys[this.count] = key;
    this.values[this.count++] = value;
  }

  /** The object decodeSpan would have built from the same occurrences. */
  object(): Attributes {
    const out: Attributes = {};
    for (let i = 0; i < this.count; i++) out[this.keys[i]!] = this.values[i]!;
    return out;
  }
}

/** One KeyValue occurrence (a span's field 9) into `pairs`, as Decoder.attribute/keyValue do. */
function attribute(d: Decoder, w: Wire, pairs: Pairs): void {
  const start = w.len();
  const end = w.lenEnd;
  if (pairs.n++ < d.s.limits.maxAttributes) {
    d.readKeyValue(w, start, end, 0);
    pairs.add(d.key, d.value);
  } else d.s.counts.truncatedAttributes++;
  w.pos = end;
}

/** The request ID requestIdOf finds, for a regular key list. */
function requestIdIn(list: KeyList, values: readonly AttributeValue[]): string | undefined {
  const at = list.requestAt;
  for (let j = 0; j < at.length; j++) {
    const k = at[j]!;
    if (k < 0) continue;
    let v = values[k];
    if (Array.isArray(v)) v = v[0];
    if (typeof v === 'string' && REQUEST_ID.test(v)) return v;
  }
  return undefined;
}

/** Request ID, attr_keys, attr_values, request_id_at and AI fields of a span from its pairs. */
function setAttributes(row: SpanRow, pairs: Pairs, prices: PriceTable): void {
  const count = pairs.count;
  const list = count === 0 ? root : listOf(pairs.keys, count);
  if (list === undefined || !list.regular) {
    // Duplicate or unusual keys: exactly the record path, through an attributes object.
    const attrs = pairs.object();
    row.requestId = requestIdOf(attrs);
    setAi(row, attrs, prices);
    const split = splitAttributes(attrs, row.requestId, row.ai);
    row.keys = split.keys;
    row.values = split.values;
    row.at = split.at ?? -1;
    row.aiBits = split.aiBits;
    return;
  }
  // AI fields first: a token count they hold leaves only a placeholder among the values.
  if (list.ai || row.name.startsWith('ai.')) setAi(row, pairs.object(), prices);
  const values = pairs.values;
  row.aiBits = 0;
  if (row.ai !== undefined) {
    for (const pos of list.moved) {
      const bit = movedBit(list.keys[pos]!, values[pos]!, row.ai);
      if (bit === 0) continue;
      row.aiBits |= bit;
      values[pos] = MOVED_PLACEHOLDER;
    }
  }
  const requestId = requestIdIn(list, values);
  row.requestId = requestId;
  let at = list.requestAt[0]!;
  // request.id leaves the list only when it is the span's request ID (splitAttributes).
  if (at >= 0 && (requestId === undefined || values[at] !== requestId || at > 0xffff)) at = -1;
  row.at = at;
  if (count - (at < 0 ? 0 : 1) === 0) {
    row.keys = undefined;
    row.values = undefined;
  } else {
    row.keys = list.json(at);
    row.values = list.valuesJson(values, count, at);
  }
}

/** normaliseBatch for one span: never throws, a span it cannot normalise has no AI fields. */
function setAi(row: SpanRow, attrs: Attributes, prices: PriceTable): void {
  try {
    row.ai = extractAi(row.name, attrs, prices);
  } catch {
    row.ai = undefined;
  }
}

/** An ID field's state while its span decodes: its words went into the row, else why not. */
const ID_EMPTY = '';
const ID_OK = 'ok';

function idState(w: Wire, bytes: 8 | 16): string {
  const start = w.len();
  const n = w.lenEnd - start;
  if (n === 0) return ID_EMPTY;
  if (n !== bytes) return `expected ${bytes} bytes, got ${n}`;
  return ID_OK;
}

/** A fixed64 time's words; throws for values past int64, as decode-proto.ts's nanos does. */
function nanosWords(w: Wire, what: string, out: Uint32Array, at: number): void {
  if (w.pos + 8 > w.end) throw new WireError(`truncated fixed64 at byte ${w.pos}`);
  const lo = w.view.getUint32(w.pos, true);
  const hi = w.view.getUint32(w.pos + 4, true);
  if (hi >= 0x80000000) {
    const v = w.view.getBigUint64(w.pos, true);
    throw new WireError(`${what} ${v} nanoseconds is after the year 2262`);
  }
  w.pos += 8;
  out[at] = hi;
  out[at + 1] = lo;
}

/** Decodes an ExportTraceServiceRequest into rows; errors as decodeTraceRequest's. */
export function decodeTraceRows(body: Buffer, s: Sanitizer, prices: PriceTable): DecodedRows {
  return wrap('ExportTraceServiceRequest', () => {
    const d = new Decoder(s);
    const w = new Wire(body);
    const out: DecodedRows = { rows: [], operations: [], rejected: 0 };
    const pairs = new Pairs();
    // service → name → the kinds seen (bit k for kind k): no key string per span.
    const seen = new Map<string, Map<string, number>>();
    let last: SpanRow | undefined;
    const resources = topLevel(w);
    for (let r = 0; r < resources.length; r++) {
      const rs = outer(w, resources[r]![0], resources[r]![1]);
      const { resource, service } = rs.resource
        ? d.resource(w, rs.resource[0], rs.resource[1])
        : { resource: {}, service: 'unknown_service' };
      let resourceJson: string | undefined;
      for (const _ in resource) {
        resourceJson = JSON.stringify(resource);
        break;
      }
      for (let c = 0; c < rs.scopes.length; c++) {
        const { scope, spans } = scopeSpans(d, w, rs.scopes[c]!);
        for (let i = 0; i < spans.length; i++) {
          const row = new SpanRow();
          row.service = service;
          row.resource = resourceJson;
          row.scopeName = scope.scopeName;
          row.scopeVersion = scope.scopeVersion;
          const error = decodeSpanRow(d, w, spans[i]![0], spans[i]![1], row, pairs, prices);
          if (error !== undefined) {
            out.rejected++;
            out.firstError ??= `resourceSpans[${r}].scopeSpans[${c}].spans[${i}].${error}`;
            continue;
          }
          out.rows.push(row);
          // Operations as indexFacts lists them: a repeat of the last one is skipped unkeyed.
          if (
            last !== undefined &&
            row.service === last.service &&
            row.name === last.name &&
            row.kind === last.kind
          ) {
            continue;
          }
          last = row;
          let names = seen.get(row.service);
          if (names === undefined) {
            names = new Map();
            seen.set(row.service, names);
          }
          const kinds = names.get(row.name) ?? 0;
          if ((kinds & (1 << row.kind)) === 0) {
            names.set(row.name, kinds | (1 << row.kind));
            out.operations.push([row.service, row.name, row.kind]);
          }
        }
      }
    }
    return out;
  });
}

/** A span's start and end as (high, low) words while it decodes. */
const TIMES = new Uint32Array(4);

/** One Span into `row`, or the reason (`traceId: …`) it is rejected (decodeSpan's rules). */
function decodeSpanRow(
  d: Decoder,
  w: Wire,
  start: number,
  end: number,
  row: SpanRow,
  pairs: Pairs,
  prices: PriceTable,
): string | undefined {
  const s = d.s;
  const view = w.view;
  let traceId = ID_EMPTY;
  let spanId = ID_EMPTY;
  let parentSpanId = ID_EMPTY;
  let traceState = '';
  let name = '';
  let kind = 0;
  const times = TIMES;
  times.fill(0);
  pairs.clear();
  let events: SpanEventRecord[] | undefined;
  let links: SpanLinkRecord[] | undefined;
  let statusCode = 0;
  let statusMessage = '';
  w.pos = start;
  w.end = end;
  while (w.pos < end) {
    const tag = w.varint();
    const field = tag >>> 3;
    const type = tag & 7;
    switch (field) {
      case 1: {
        w.expect(1, type, LEN);
        traceId = idState(w, 16);
        if (traceId === ID_OK) {
          const at = w.lenEnd - 16;
          row.t0 = view.getUint32(at);
          row.t1 = view.getUint32(at + 4);
          row.t2 = view.getUint32(at + 8);
          row.t3 = view.getUint32(at + 12);
          if ((row.t0 | row.t1 | row.t2 | row.t3) === 0) traceId = 'all-zero IDs are invalid';
        }
        break;
      }
      case 2: {
        w.expect(2, type, LEN);
        spanId = idState(w, 8);
        if (spanId === ID_OK) {
          const at = w.lenEnd - 8;
          row.s0 = view.getUint32(at);
          row.s1 = view.getUint32(at + 4);
          if ((row.s0 | row.s1) === 0) spanId = 'all-zero IDs are invalid';
        }
        break;
      }
      case 3:
        w.expect(3, type, LEN);
        traceState = w.string();
        break;
      case 4: {
        w.expect(4, type, LEN);
        parentSpanId = idState(w, 8);
        if (parentSpanId === ID_OK) {
          const at = w.lenEnd - 8;
          row.p0 = view.getUint32(at);
          row.p1 = view.getUint32(at + 4);
          if ((row.p0 | row.p1) === 0) parentSpanId = 'all-zero IDs are invalid';
        }
        break;
      }
      case 5:
        w.expect(5, type, LEN);
        name = w.repeatedString();
        break;
      case 6:
        w.expect(6, type, VARINT);
        kind = w.varint();
        if (kind > 5) throw new WireError(`span kind ${kind} is not 0–5`);
        break;
      case 7:
        w.expect(7, type, FIXED64);
        nanosWords(w, 'startTimeUnixNano', times, 0);
        break;
      case 8:
        w.expect(8, type, FIXED64);
        nanosWords(w, 'endTimeUnixNano', times, 2);
        break;
      case 9:
        w.expect(9, type, LEN);
        attribute(d, w, pairs);
        w.end = end;
        break;
      case 11: {
        w.expect(11, type, LEN);
        const st = w.len();
        const e = w.lenEnd;
        events ??= [];
        if (events.length < s.limits.maxEvents) events.push(decodeEvent(d, w, st, e));
        else s.counts.truncatedEvents++;
        w.pos = e;
        w.end = end;
        break;
      }
      case 13: {
        w.expect(13, type, LEN);
        const st = w.len();
        const e = w.lenEnd;
        links ??= [];
        if (links.length < s.limits.maxLinks) links.push(decodeLink(d, w, st, e));
        else s.counts.truncatedLinks++;
        w.pos = e;
        w.end = end;
        break;
      }
      case 15: {
        w.expect(15, type, LEN);
        const status = decodeStatus(w, end);
        statusCode = status.code;
        statusMessage = status.message ?? '';
        break;
      }
      default:
        w.skip(type);
    }
  }
  if (traceId !== ID_OK) return `traceId: ${traceId === ID_EMPTY ? 'required' : traceId}`;
  if (spanId !== ID_OK) return `spanId: ${spanId === ID_EMPTY ? 'required' : spanId}`;
  if (parentSpanId !== ID_OK && parentSpanId !== ID_EMPTY) return `parentSpanId: ${parentSpanId}`;
  row.hasParent = parentSpanId === ID_OK;
  row.traceState = traceState || undefined;
  row.name = s.text(name);
  row.kind = kind;
  const sHi = times[0]!;
  const sLo = times[1]!;
  const eHi = times[2]!;
  const eLo = times[3]!;
  row.startHi = sHi;
  row.startLo = sLo;
  // duration_ns: end − start when the span ends after it starts, else 0.
  if (eHi > sHi || (eHi === sHi && eLo > sLo)) {
    const lo = eLo - sLo;
    row.durLo = lo < 0 ? lo + 0x100000000 : lo;
    row.durHi = eHi - sHi - (lo < 0 ? 1 : 0);
  }
  row.statusCode = statusCode;
  row.statusMessage = statusMessage ? s.text(statusMessage) : undefined;
  setAttributes(row, pairs, prices);
  row.events = events && eventsJson(events);
  row.links = links && linksJson(links);
  return undefined;
}

/**
 * decodeExport for protobuf trace exports, in rows: the same counts, the same errors (a
 * request too deeply nested to decode is a 400, not a crash).
 */
export function decodeRowsExport(
  request: Uint8Array,
  sanitizer: Sanitizer,
  prices: PriceTable,
): DecodedRows & { accepted: number; counts: SanitizeCounts } {
  const body = Buffer.isBuffer(request)
    ? request
    : Buffer.from(request.buffer, request.byteOffset, request.byteLength);
  let out: DecodedRows;
  try {
    out = decodeTraceRows(body, sanitizer, prices);
  } catch (err) {
    if (err instanceof RangeError) {
      throw new IngestInputError(`request is nested too deeply: ${err.message}`);
    }
    throw err;
  }
  return { ...out, accepted: out.rows.length, counts: sanitizer.counts };
}
