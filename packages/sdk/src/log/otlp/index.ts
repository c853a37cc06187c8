import type { Resource } from '@opentelemetry/resources';
import type { ResolvedOptions } from '../../config/index.js';
import { LineLogExporter } from './line-exporter.js';

export { type CapturedLine, LogsRequestEncoder } from './encode.js';
export { type LineExporterOptions, LineLogExporter } from './line-exporter.js';

/** The log export `init()` installs: the options' endpoint, batching, timeout and compression. */
export function createLineLogExporter(
  options: ResolvedOptions,
  resource: Resource,
  version: string,
): LineLogExporter {
  return new LineLogExporter({
    url: options.logsEndpoint,
    headers: options.headers,
    compression: options.compression,
    timeoutMs: options.exportTimeoutMs,
    exportDelayMs: options.exportDelayMs,
    maxQueueSize: options.maxQueueSize,
    maxExportBatchSize: options.maxExportBatchSize,
    resource,
    scope: { name: 'hopscope', version },
  });
}
