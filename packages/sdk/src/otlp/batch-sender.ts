import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { OTLPExporterNodeConfigBase } from '@opentelemetry/otlp-exporter-base';
import {
  convertLegacyHttpOptions,
  createOtlpHttpExportDelegate,
} from '@opentelemetry/otlp-exporter-base/node-http';
import type { ISerializer } from '@opentelemetry/otlp-transformer';
import { dropCountingMeterProvider } from '../trace/drops.js';
import { compressThen, type EncodedPayload, transportSettings } from './payload.js';

/** What the sender drains: a bounded FIFO the exporter fills. */
export interface BatchQueue<T> {
  readonly length: number;
  /** Removes and returns up to `max` of the oldest items. */
  take(max: number): T[];
}

export interface BatchSenderOptions<T, Response> {
  /** Full URL of the collector's endpoint (`…/v1/traces`, `…/v1/logs`). */
  url: string;
  headers?: Record<string, string>;
  compression: 'gzip' | 'none';
  timeoutMs: number;
  /** Longest an item waits in the queue before its batch is sent. */
  exportDelayMs: number;
  maxExportBatchSize: number;
  /** The OTLP signal, for the OTEL_EXPORTER_OTLP_<signal>_* settings. */
  signal: 'TRACES' | 'LOGS';
  /** Drop counting and the processed-items counter are per kind of item. */
  kind: 'spans' | 'logs';
  encode: (batch: T[]) => Uint8Array;
  deserializeResponse: (data: Uint8Array) => Response;
}

/**
 * The batching both OTLP exporters share: after the delay or once a batch is full, on a later
 * turn of the event loop, one batch is encoded, gzipped at level 1 (payload.ts) and sent with the
 * official OTLP/HTTP transport (timeout, retries with backoff honouring Retry-After,
 * OTEL_EXPORTER_OTLP_* settings). One batch is in flight at a time; batches the collector did not
 * take are counted. Never throws, never rejects.
 */
export class OtlpBatchSender<T, Response> {
  private readonly delegate: ReturnType<
    typeof createOtlpHttpExportDelegate<EncodedPayload, Response>
  >;
  private readonly processed;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private inFlight: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly queue: BatchQueue<T>,
    private readonly options: BatchSenderOptions<T, Response>,
  ) {
    const item = options.kind === 'spans' ? 'span' : 'log';
    this.processed = dropCountingMeterProvider(options.kind)
      .getMeter('hopscope')
      .createCounter(`otel.sdk.processor.${item}.processed`);
    const serializer: ISerializer<EncodedPayload, Response> = {
      serializeRequest: (payload) => payload.bytes,
      deserializeResponse: options.deserializeResponse,
    };
    const config: OTLPExporterNodeConfigBase = {
      url: options.url,
      timeoutMillis: options.timeoutMs,
      ...transportSettings(options.compression, options.headers),
    };
    // The same HTTP delegate the official OTLP exporters are made of.
    const path = options.signal === 'TRACES' ? 'v1/traces' : 'v1/logs';
    this.delegate = createOtlpHttpExportDelegate(
      convertLegacyHttpOptions(config, options.signal, path, {
        'Content-Type': 'application/x-protobuf',
      }),
      serializer,
      options.kind === 'spans' ? 'hopscope_span_exporter' : 'hopscope_log_line_exporter',
      { name: item, countItems: (payload) => payload.count },
      undefined,
    );
  }

  /** False once shut down: the exporter drops (and counts) what arrives after. */
  get accepting(): boolean {
    return !this.stopped;
  }

  /** Call after adding to the queue: sends soon when a batch is full, else starts the delay. */
  added(): void {
    if (this.queue.length >= this.options.maxExportBatchSize) this.sendSoon();
    else if (this.timer === undefined) {
      this.timer = setTimeout(this.onDelay, this.options.exportDelayMs);
      this.timer.unref();
    }
  }

  /** Sends everything queued so far and waits for the collector's answers. Never rejects. */
  async forceFlush(): Promise<void> {
    await this.inFlight;
    while (this.queue.length > 0) {
      this.sendBatch();
      await this.inFlight;
    }
  }

  /** Flushes, then takes no more. Never rejects. */
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

  /** Schedules a send on the next turn of the event loop, never inside the caller's call. */
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

  /** Starts one batch unless one is in flight; when it ends, starts the next if due. */
  private sendBatch(): void {
    if (this.inFlight !== undefined || this.queue.length === 0) return;
    this.clearTimers();
    const batch = this.queue.take(this.options.maxExportBatchSize);
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
        compressThen(
          this.options.compression,
          this.options.encode(batch),
          batch.length,
          (payload) => this.delegate.export(payload, done),
          done,
        );
      } catch (error) {
        done({ code: ExportResultCode.FAILED, error: error as Error });
      }
    }).then(() => {
      this.inFlight = undefined;
      if (this.stopped || this.queue.length === 0) return;
      this.added();
    });
  }
}
