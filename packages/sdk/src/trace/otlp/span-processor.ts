import { TraceFlags } from '@opentelemetry/api';
import {
  type IExportTraceServiceResponse,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { type BatchQueue, OtlpBatchSender } from '../../otlp/batch-sender.js';
import { countDropped } from '../drops.js';
import { TracesRequestEncoder } from './encode.js';

export interface SpanExportOptions {
  /** Full URL of the collector's traces endpoint (`…/v1/traces`). */
  url: string;
  headers?: Record<string, string>;
  compression: 'gzip' | 'none';
  timeoutMs: number;
  /** Longest a finished span waits in the queue before its batch is sent. */
  exportDelayMs: number;
  /** Spans kept while waiting; past it new spans are dropped and counted. */
  maxQueueSize: number;
  maxExportBatchSize: number;
}

/** A fixed-size ring of ended spans: storing one allocates nothing. */
class SpanRing implements BatchQueue<ReadableSpan> {
  private readonly slots: (ReadableSpan | undefined)[];
  private head = 0;
  length = 0;

  constructor(capacity: number) {
    this.slots = new Array<ReadableSpan | undefined>(capacity).fill(undefined);
  }

  /** Adds a span; `false` when the ring is full (the caller counts the drop). */
  push(span: ReadableSpan): boolean {
    const capacity = this.slots.length;
    if (this.length === capacity) return false;
    let i = this.head + this.length;
    if (i >= capacity) i -= capacity;
    this.slots[i] = span;
    this.length++;
    return true;
  }

  take(max: number): ReadableSpan[] {
    const n = Math.min(max, this.length);
    const capacity = this.slots.length;
    const batch = new Array<ReadableSpan>(n);
    for (let k = 0; k < n; k++) {
      batch[k] = this.slots[this.head] as ReadableSpan;
      this.slots[this.head] = undefined; // let the span go now, not when the slot is reused
      this.head = this.head + 1 === capacity ? 0 : this.head + 1;
    }
    this.length -= n;
    return batch;
  }
}

/**
 * OTLP protobuf-over-HTTP export of sampled spans, in place of BatchSpanProcessor +
 * OTLPTraceExporter: ending a span costs one store into a fixed-size ring. Per batch, on a later
 * turn of the event loop, the spans are encoded straight to bytes (encode.ts, the official
 * serializer's bytes) and sent by the batching the log exporter shares (otlp/batch-sender.ts).
 * Spans ending while the queue is full are dropped and counted. Never throws, never rejects.
 */
export class OtlpSpanProcessor implements SpanProcessor {
  private readonly ring: SpanRing;
  private readonly sender: OtlpBatchSender<ReadableSpan, IExportTraceServiceResponse>;

  constructor(options: SpanExportOptions) {
    this.ring = new SpanRing(options.maxQueueSize);
    const encoder = new TracesRequestEncoder();
    this.sender = new OtlpBatchSender(this.ring, {
      ...options,
      signal: 'TRACES',
      kind: 'spans',
      encode: (batch) => encoder.encode(batch),
      deserializeResponse: (data) => ProtobufTraceSerializer.deserializeResponse(data),
    });
  }

  onStart(_span: Span): void {}

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (!this.sender.accepting || !this.ring.push(span)) {
      countDropped('spans');
      return;
    }
    this.sender.added();
  }

  /** Sends every span ended so far and waits for the collector's answers. Never rejects. */
  forceFlush(): Promise<void> {
    return this.sender.forceFlush();
  }

  /** Flushes, then takes no more spans. Never rejects. */
  shutdown(): Promise<void> {
    return this.sender.shutdown();
  }
}
