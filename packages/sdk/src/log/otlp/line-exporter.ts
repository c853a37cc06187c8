import type { InstrumentationScope } from '@opentelemetry/core';
import {
  type IExportLogsServiceResponse,
  ProtobufLogsSerializer,
} from '@opentelemetry/otlp-transformer';
import type { Resource } from '@opentelemetry/resources';
import { OtlpBatchSender } from '../../otlp/batch-sender.js';
import { countDropped } from '../../trace/drops.js';
import type { LogSink } from '../sink.js';
import { type CapturedLine, type FlatRecord, LogsRequestEncoder } from './encode.js';
import { LineQueue } from './line-queue.js';

const NO_FIELDS: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

export interface LineExporterOptions {
  /** Full URL of the collector's logs endpoint (`…/v1/logs`). */
  url: string;
  headers?: Record<string, string>;
  compression: 'gzip' | 'none';
  timeoutMs: number;
  /** Longest a line waits in the queue before its batch is sent. */
  exportDelayMs: number;
  /** Lines kept while waiting; past it new lines are dropped and counted. */
  maxQueueSize: number;
  maxExportBatchSize: number;
  resource: Resource;
  scope: InstrumentationScope;
}

/**
 * OTLP log export of the logger's lines, built so the logging call pays only for storing the
 * finished line in a bounded queue (LineQueue). Encoding the lines as an OTLP protobuf request
 * (encode.ts) and sending it happen per batch, by the batching the span processor shares
 * (otlp/batch-sender.ts). Lines arriving while the queue is full are dropped and counted.
 */
export class LineLogExporter implements LogSink {
  private readonly queue: LineQueue;
  private readonly sender: OtlpBatchSender<CapturedLine, IExportLogsServiceResponse>;

  constructor(options: LineExporterOptions) {
    this.queue = new LineQueue(options.maxQueueSize);
    const encoder = new LogsRequestEncoder(options.resource, options.scope);
    this.sender = new OtlpBatchSender(this.queue, {
      ...options,
      signal: 'LOGS',
      kind: 'logs',
      encode: (batch) => encoder.encode(batch).bytes,
      deserializeResponse: (data) => ProtobufLogsSerializer.deserializeResponse(data),
    });
  }

  emit(): void {
    // structured records are for the logs-SDK sink; this one takes lines (emitLine)
  }

  emitLine(line: string, timeMs: number, traceFlags: number): void {
    if (!this.sender.accepting || !this.queue.push(line, timeMs, traceFlags)) {
      countDropped('logs');
      return;
    }
    this.sender.added();
  }

  /**
   * A flat call's record, kept as values and encoded with its batch: encoding a batch in one
   * loop costs less than a record at a time between requests. The fields are copied, since the
   * caller may change its object after the call (its values are primitives, so a shallow copy
   * is a snapshot).
   */
  emitFlat(record: FlatRecord): void {
    if (!this.sender.accepting || this.queue.length === this.queue.capacity) {
      countDropped('logs');
      return;
    }
    const fields = record.fields;
    let copy: Readonly<Record<string, unknown>> = NO_FIELDS;
    for (const key in fields) {
      if (!Object.hasOwn(fields, key)) continue;
      // a spread clones an object literal's shape in one step; copied key by key, every store
      // went through a megamorphic lookup (the encoder reads own string keys only, as before)
      copy = { ...fields };
      break;
    }
    record.fields = copy;
    this.queue.push(record, record.timeMs, record.traceFlags);
    this.sender.added();
  }

  /** Sends everything queued so far and waits for the collector's answers. Never rejects. */
  forceFlush(): Promise<void> {
    return this.sender.forceFlush();
  }

  /** Flushes, then takes no more lines. Never rejects. */
  shutdown(): Promise<void> {
    return this.sender.shutdown();
  }
}
