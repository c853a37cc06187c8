import {
  type ExportResult,
  ExportResultCode,
  type InstrumentationScope,
} from '@opentelemetry/core';
import type { OTLPExporterNodeConfigBase } from '@opentelemetry/otlp-exporter-base';
import {
  convertLegacyHttpOptions,
  createOtlpHttpExportDelegate,
} from '@opentelemetry/otlp-exporter-base/node-http';
import {
  type IExportLogsServiceResponse,
  type ISerializer,
  ProtobufLogsSerializer,
} from '@opentelemetry/otlp-transformer';
import type { Resource } from '@opentelemetry/resources';
import { compressThen, type EncodedPayload, transportSettings } from '../../otlp/payload.js';
import { countDropped, dropCountingMeterProvider } from '../../trace/drops.js';
import type { LogSink } from '../sink.js';
import { LogsRequestEncoder } from './encode.js';
import { LineQueue } from './line-queue.js';

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
 * (encode.ts), gzipping it at level 1 (otlp/payload.ts) and sending it (the official OTLP/HTTP
 * transport: timeout, retries with backoff honouring Retry-After) happen per batch, after the
 * delay or once a batch is full, on a later turn of the event loop. One batch is in flight at a time;
 * lines arriving while the queue is full are dropped and counted, as are batches the
 * collector did not take.
 */
export class LineLogExporter implements LogSink {
  private readonly queue: LineQueue;
  private readonly delegate: ReturnType<
    typeof createOtlpHttpExportDelegate<EncodedPayload, IExportLogsServiceResponse>
  >;
  private readonly encoder: LogsRequestEncoder;
  private readonly processed = dropCountingMeterProvider('logs')
    .getMeter('hopscope')
    .createCounter('otel.sdk.processor.log.processed');
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private inFlight: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: LineExporterOptions) {
    this.queue = new LineQueue(options.maxQueueSize);
    this.encoder = new LogsRequestEncoder(options.resource, options.scope);
    const serializer: ISerializer<EncodedPayload, IExportLogsServiceResponse> = {
      serializeRequest: (payload) => payload.bytes,
      deserializeResponse: (data) => ProtobufLogsSerializer.deserializeResponse(data),
    };
    const config: OTLPExporterNodeConfigBase = {
      url: options.url,
      timeoutMillis: options.timeoutMs,
      ...transportSettings(options.compression, options.headers),
    };
    // The same HTTP delegate OTLPLogExporter is made of (it also reads OTEL_EXPORTER_OTLP_*).
    this.delegate = createOtlpHttpExportDelegate(
      convertLegacyHttpOptions(config, 'LOGS', 'v1/logs', {
        'Content-Type': 'application/x-protobuf',
      }),
      serializer,
      'hopscope_log_line_exporter',
      { name: 'log', countItems: (payload) => payload.count },
      undefined,
    );
  }

  emit(): void {
    // structured records are for the logs-SDK sink; this one takes lines (emitLine)
  }

  emitLine(line: string, timeMs: number, traceFlags: number): void {
    if (this.stopped || !this.queue.push(line, timeMs, traceFlags)) {
      countDropped('logs');
      return;
    }
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

  /** Flushes, then takes no more lines. Never rejects. */
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

  /** Schedules a send on the next turn of the event loop, never inside the logging call. */
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
        const { bytes } = this.encoder.encode(batch);
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
      if (this.stopped || this.queue.length === 0) return;
      if (this.queue.length >= this.options.maxExportBatchSize) this.sendSoon();
      else if (this.timer === undefined) {
        this.timer = setTimeout(this.onDelay, this.options.exportDelayMs);
        this.timer.unref();
      }
    });
  }
}
