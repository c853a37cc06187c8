import { TraceFlags } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { OTLPExporterNodeConfigBase } from '@opentelemetry/otlp-exporter-base';
import {
  convertLegacyHttpOptions,
  createOtlpHttpExportDelegate,
} from '@opentelemetry/otlp-exporter-base/node-http';
import {
  type IExportTraceServiceResponse,
  type ISerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { compressThen, type EncodedPayload, transportSettings } from '../../otlp/payload.js';
import { countDropped, dropCountingMeterProvider } from '../drops.js';
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

/**
 * OTLP protobuf-over-HTTP export of sampled spans, in place of BatchSpanProcessor +
 * OTLPTraceExporter: ending a span costs one store into a fixed-size ring. Per batch, on a later
 * turn of the event loop, the spans are encoded straight to bytes (encode.ts, the official
 * serializer's bytes), gzipped at level 1 (otlp/payload.ts) and sent with the official OTLP/HTTP
 * transport (timeout, retries
 * with backoff honouring Retry-After, OTEL_EXPORTER_OTLP_TRACES_* settings). One batch is in
 * flight at a time; spans ending while the queue is full are dropped and counted, as are
 * batches the collector did not take. Never throws, never rejects.
 */
export class OtlpSpanProcessor implements SpanProcessor {
  private readonly ring: (ReadableSpan | undefined)[];
  private head = 0;
  private size = 0;
  private readonly delegate: ReturnType<
    typeof createOtlpHttpExportDelegate<EncodedPayload, IExportTraceServiceResponse>
  >;
  private readonly encoder = new TracesRequestEncoder();
  private readonly processed = dropCountingMeterProvider('spans')
    .getMeter('hopscope')
    .createCounter('otel.sdk.processor.span.processed');
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private inFlight: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: SpanExportOptions) {
    this.ring = new Array<ReadableSpan | undefined>(options.maxQueueSize).fill(undefined);
    const serializer: ISerializer<EncodedPayload, IExportTraceServiceResponse> = {
      serializeRequest: (payload) => payload.bytes,
      deserializeResponse: (data) => ProtobufTraceSerializer.deserializeResponse(data),
    };
    const config: OTLPExporterNodeConfigBase = {
      url: options.url,
      timeoutMillis: options.timeoutMs,
      ...transportSettings(options.compression, options.headers),
    };
    // The same HTTP delegate OTLPTraceExporter is made of (it also reads OTEL_EXPORTER_OTLP_*).
    this.delegate = createOtlpHttpExportDelegate(
      convertLegacyHttpOptions(config, 'TRACES', 'v1/traces', {
        'Content-Type': 'application/x-protobuf',
      }),
      serializer,
      'hopscope_span_exporter',
      { name: 'span', countItems: (payload) => payload.count },
      undefined,
    );
  }

  onStart(_span: Span): void {}

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    const capacity = this.ring.length;
    if (this.stopped || this.size === capacity) {
      countDropped('spans');
      return;
    }
    let i = this.head + this.size;
    if (i >= capacity) i -= capacity;
    this.ring[i] = span;
    this.size++;
    if (this.size >= this.options.maxExportBatchSize) this.sendSoon();
    else if (this.timer === undefined) {
      this.timer = setTimeout(this.onDelay, this.options.exportDelayMs);
      this.timer.unref();
    }
  }

  /** Sends every span ended so far and waits for the collector's answers. Never rejects. */
  async forceFlush(): Promise<void> {
    await this.inFlight;
    while (this.size > 0) {
      this.sendBatch();
      await this.inFlight;
    }
  }

  /** Flushes, then takes no more spans. Never rejects. */
  async shutdown(): Promise<void> {
    await this.forceFlush();
    this.stopped = true;
    this.clearTimers();
    await this.delegate.shutdown().catch(() => {});
  }

  /**
   * The delay is over: send now, or (a batch being in flight) when it returns. The timer is
   * forgotten first, so a batch that returns reschedules for what is still queued.
   */
  private readonly onDelay = (): void => {
    this.timer = undefined;
    this.sendSoon();
  };

  /** Schedules a send on the next turn of the event loop, never inside `span.end()`. */
  private sendSoon(): void {
    if (this.immediate !== undefined || this.inFlight !== undefined) return;
    this.immediate = setImmediate(() => {
      this.immediate = undefined;
      this.sendBatch();
    });
    this.immediate.unref();
  }

  private clearTimers(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.immediate = undefined;
  }

  /** Removes and returns up to one batch of the oldest spans. */
  private take(): ReadableSpan[] {
    const n = Math.min(this.options.maxExportBatchSize, this.size);
    const capacity = this.ring.length;
    const batch = new Array<ReadableSpan>(n);
    for (let k = 0; k < n; k++) {
      batch[k] = this.ring[this.head] as ReadableSpan;
      this.ring[this.head] = undefined; // let the span go now, not when the slot is reused
      this.head = this.head + 1 === capacity ? 0 : this.head + 1;
    }
    this.size -= n;
    return batch;
  }

  /** Starts one batch unless one is in flight; when it ends, starts the next if due. */
  private sendBatch(): void {
    if (this.inFlight !== undefined || this.size === 0) return;
    this.clearTimers();
    const batch = this.take();
    this.inFlight = new Promise<void>((resolve) => {
      const done = (result: ExportResult) => {
        if (result.code === ExportResultCode.SUCCESS) this.processed.add(batch.length);
        else {
          this.processed.add(batch.length, {
            'error.type': result.error?.name ?? 'export_failed',
          });
        }
        resolve();
      };
      try {
        const bytes = this.encoder.encode(batch);
        compressThen(
          this.options.compression,
          bytes,
          batch.length,
          (payload) => this.delegate.export(payload, done),
          done,
        );
      } catch (error) {
        done({ code: ExportResultCode.FAILED, error: error as Error });
      }
    }).then(() => {
      this.inFlight = undefined;
      if (this.stopped || this.size === 0) return;
      if (this.size >= this.options.maxExportBatchSize) this.sendSoon();
      else if (this.timer === undefined) {
        this.timer = setTimeout(this.onDelay, this.options.exportDelayMs);
        this.timer.unref();
      }
    });
  }
}
