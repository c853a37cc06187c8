import type { Attributes, HrTime, SpanContext } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { ProtoWriter } from '../../log/otlp/proto-writer.js';
import {
  attribute,
  hexId,
  WIRE_FIXED32,
  WIRE_FIXED64,
  WIRE_LEN,
  WIRE_VARINT,
} from '../../otlp/any-value.js';

// Span.flags: the W3C trace flags plus "is_remote is known" and "the parent is remote"
const FLAGS_HAS_IS_REMOTE = 0x100;
const FLAGS_IS_REMOTE = 0x200;

/** Repeated KeyValue `field`. */
function attributes(w: ProtoWriter, attrs: Attributes, field: number): void {
  for (const key in attrs) {
    if (!Object.hasOwn(attrs, key)) continue;
    attribute(w, field, key, attrs[key]);
  }
}

/** [seconds, nanoseconds] as fixed64 nanoseconds, exactly (seconds × 10^9 exceeds 2^53). */
function hrTime(w: ProtoWriter, time: HrTime): void {
  const seconds = time[0];
  const lowSeconds = seconds & 0xffff;
  const highSeconds = (seconds / 0x10000) >>> 0;
  const fromLow = lowSeconds * 1e9; // < 2^53
  const fromHigh = highSeconds * 1e9; // < 2^53, stands for fromHigh × 2^16
  const low = (fromLow >>> 0) + (((fromHigh & 0xffff) * 0x10000) >>> 0) + time[1];
  const high =
    (Math.floor(fromLow / 0x100000000) +
      ((fromHigh / 0x10000) >>> 0) +
      Math.floor(low / 0x100000000)) >>>
    0;
  w.reserve(8);
  w.buf.writeUInt32LE(low >>> 0, w.pos);
  w.buf.writeUInt32LE(high, w.pos + 4);
  w.pos += 8;
}

function spanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | FLAGS_HAS_IS_REMOTE | (isRemote ? FLAGS_IS_REMOTE : 0);
}

/** One Span (field 2 of ScopeSpans), fields in the official serializer's order. */
function span(w: ProtoWriter, s: ReadableSpan): void {
  w.tag(2, WIRE_LEN);
  const at = w.begin(2); // most spans are 128 B to 16 KiB
  const ctx = s.spanContext();
  w.tag(1, WIRE_LEN);
  hexId(w, ctx.traceId);
  w.tag(2, WIRE_LEN);
  hexId(w, ctx.spanId);
  const traceState = ctx.traceState?.serialize();
  if (traceState) {
    w.tag(3, WIRE_LEN);
    w.string(traceState);
  }
  const parent = s.parentSpanContext;
  if (parent?.spanId) {
    w.tag(4, WIRE_LEN);
    hexId(w, parent.spanId);
  }
  w.tag(5, WIRE_LEN);
  w.string(s.name);
  // SpanKind is offset by one on the wire: 0 means unspecified
  if (s.kind != null) {
    w.tag(6, WIRE_VARINT);
    w.varint(s.kind + 1);
  }
  w.tag(7, WIRE_FIXED64);
  hrTime(w, s.startTime);
  w.tag(8, WIRE_FIXED64);
  hrTime(w, s.endTime);
  if (s.attributes) attributes(w, s.attributes, 9);
  w.tag(10, WIRE_VARINT);
  w.varint(s.droppedAttributesCount);
  for (const event of s.events) {
    w.tag(11, WIRE_LEN);
    const e = w.begin();
    w.tag(1, WIRE_FIXED64);
    hrTime(w, event.time);
    w.tag(2, WIRE_LEN);
    w.string(event.name);
    if (event.attributes) attributes(w, event.attributes, 3);
    w.tag(4, WIRE_VARINT);
    w.varint(event.droppedAttributesCount || 0);
    w.end(e);
  }
  w.tag(12, WIRE_VARINT);
  w.varint(s.droppedEventsCount);
  for (const link of s.links) {
    w.tag(13, WIRE_LEN);
    const l = w.begin();
    const linked: SpanContext = link.context;
    w.tag(1, WIRE_LEN);
    hexId(w, linked.traceId);
    w.tag(2, WIRE_LEN);
    hexId(w, linked.spanId);
    const linkedState = linked.traceState?.serialize();
    if (linkedState) {
      w.tag(3, WIRE_LEN);
      w.string(linkedState);
    }
    if (link.attributes) attributes(w, link.attributes, 4);
    w.tag(5, WIRE_VARINT);
    w.varint(link.droppedAttributesCount || 0);
    w.tag(6, WIRE_FIXED32);
    w.fixed32(spanFlags(linked.traceFlags, linked.isRemote));
    w.end(l);
  }
  w.tag(14, WIRE_VARINT);
  w.varint(s.droppedLinksCount);
  w.tag(15, WIRE_LEN);
  const status = w.begin();
  if (s.status.message) {
    w.tag(2, WIRE_LEN);
    w.string(s.status.message);
  }
  w.tag(3, WIRE_VARINT);
  w.varint(s.status.code);
  w.end(status);
  w.tag(16, WIRE_FIXED32);
  w.fixed32(spanFlags(ctx.traceFlags, parent?.isRemote));
  w.end(at);
}

/** `ResourceSpans.resource` (field 1) with its tag. */
function encodeResource(resource: Resource): Uint8Array {
  const w = new ProtoWriter(1024);
  w.tag(1, WIRE_LEN);
  const at = w.begin();
  if (resource.attributes) attributes(w, resource.attributes, 1);
  w.tag(2, WIRE_VARINT); // dropped_attributes_count, written even when 0 (as upstream)
  w.varint(0);
  w.end(at);
  return Uint8Array.from(w.finish());
}

/** `ScopeSpans.scope` (field 1) with its tag. */
function encodeScope(scope: InstrumentationScope): Uint8Array {
  const w = new ProtoWriter(256);
  w.tag(1, WIRE_LEN);
  const at = w.begin();
  w.tag(1, WIRE_LEN);
  w.string(scope.name);
  if (scope.version) {
    w.tag(2, WIRE_LEN);
    w.string(scope.version);
  }
  const extra = scope as { attributes?: Attributes; droppedAttributesCount?: number };
  if (extra.attributes) attributes(w, extra.attributes, 3);
  if (extra.droppedAttributesCount) {
    w.tag(4, WIRE_VARINT);
    w.varint(extra.droppedAttributesCount);
  }
  w.end(at);
  return Uint8Array.from(w.finish());
}

/**
 * Encodes ExportTraceServiceRequests straight from finished spans, in one pass, with the bytes
 * the official `ProtobufTraceSerializer` produces for the same spans (spans grouped by resource,
 * then by instrumentation scope, in order of first appearance). Resources and scopes are
 * encoded once each and their bytes reused for every batch.
 */
export class TracesRequestEncoder {
  private readonly resources = new WeakMap<Resource, Uint8Array>();
  private readonly scopes = new WeakMap<InstrumentationScope, Uint8Array>();
  private lastSize = 16 * 1024;

  encode(spans: readonly ReadableSpan[]): Uint8Array {
    const w = new ProtoWriter(this.lastSize);
    const byResource = new Map<Resource, Map<InstrumentationScope, ReadableSpan[]>>();
    for (const s of spans) {
      let byScope = byResource.get(s.resource);
      if (byScope === undefined) {
        byScope = new Map();
        byResource.set(s.resource, byScope);
      }
      const group = byScope.get(s.instrumentationScope);
      if (group === undefined) byScope.set(s.instrumentationScope, [s]);
      else group.push(s);
    }
    for (const [resource, byScope] of byResource) {
      w.tag(1, WIRE_LEN); // ExportTraceServiceRequest.resource_spans
      const rs = w.begin(3);
      w.raw(this.resourceBytes(resource));
      for (const [scope, group] of byScope) {
        w.tag(2, WIRE_LEN); // ResourceSpans.scope_spans
        const ss = w.begin(3);
        w.raw(this.scopeBytes(scope));
        for (const s of group) span(w, s);
        if (scope.schemaUrl) {
          w.tag(3, WIRE_LEN);
          w.string(scope.schemaUrl);
        }
        w.end(ss);
      }
      if (resource.schemaUrl) {
        w.tag(3, WIRE_LEN);
        w.string(resource.schemaUrl);
      }
      w.end(rs);
    }
    this.lastSize = Math.max(this.lastSize, w.pos + 1024);
    return w.finish();
  }

  private resourceBytes(resource: Resource): Uint8Array {
    let bytes = this.resources.get(resource);
    if (bytes === undefined) {
      bytes = encodeResource(resource);
      // attributes still being detected may change: encode such a resource every time
      if (!resource.asyncAttributesPending) this.resources.set(resource, bytes);
    }
    return bytes;
  }

  private scopeBytes(scope: InstrumentationScope): Uint8Array {
    let bytes = this.scopes.get(scope);
    if (bytes === undefined) {
      bytes = encodeScope(scope);
      this.scopes.set(scope, bytes);
    }
    return bytes;
  }
}
