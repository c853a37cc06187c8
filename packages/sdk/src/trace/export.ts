import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import type { Resource } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ResolvedOptions } from '../config/index.js';
import { dropCountingMeterProvider } from './drops.js';
import { OtlpSpanProcessor } from './otlp/span-processor.js';

function exporterConfig(options: ResolvedOptions, url: string) {
  return {
    url,
    headers: options.headers,
    compression:
      options.compression === 'gzip' ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE,
    timeoutMillis: options.exportTimeoutMs,
  };
}

function batchConfig(options: ResolvedOptions, signal: 'spans' | 'logs') {
  return {
    scheduledDelayMillis: options.exportDelayMs,
    maxQueueSize: options.maxQueueSize,
    maxExportBatchSize: options.maxExportBatchSize,
    exportTimeoutMillis: options.exportTimeoutMs,
    selfObsMeterProvider: dropCountingMeterProvider(signal),
  };
}

/**
 * OTLP protobuf-over-HTTP span export: bounded queue, export off the request path, every drop
 * counted (see OtlpSpanProcessor).
 */
export function createSpanExportProcessor(options: ResolvedOptions): SpanProcessor {
  return new OtlpSpanProcessor({
    url: options.tracesEndpoint,
    headers: options.headers,
    compression: options.compression,
    timeoutMs: options.exportTimeoutMs,
    exportDelayMs: options.exportDelayMs,
    maxQueueSize: options.maxQueueSize,
    maxExportBatchSize: options.maxExportBatchSize,
  });
}

/** The OTLP log pipeline the logger feeds (same batching and drop counting as spans). */
export function createLoggerProvider(options: ResolvedOptions, resource: Resource): LoggerProvider {
  return new LoggerProvider({
    resource,
    processors: [
      new BatchLogRecordProcessor({
        exporter: new OTLPLogExporter(exporterConfig(options, options.logsEndpoint)),
        ...batchConfig(options, 'logs'),
      }),
    ],
  });
}
