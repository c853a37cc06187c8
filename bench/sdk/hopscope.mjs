// Hopscope: init() (spans and, unless EXPORT_LOGS=0, log records over OTLP to the sink) + the
// node:http middleware (request ID, server span, request_completed) + one log line in the handler.
// For comparisons in the same run: LOG_EXPORT=logs-sdk sends the log records through the
// OpenTelemetry logs SDK path instead of Hopscope's line export (a LogRecord per line,
// BatchLogRecordProcessor, OTLPLogExporter); SPAN_EXPORT=official exports spans through
// BatchSpanProcessor + OTLPTraceExporter (what init() used before) instead of Hopscope's
// span processor, with the same batching, timeout and compression. HOPSCOPE_DIST=DIR runs another
// build of the SDK (DIR = its dist folder; `--baseline=DIR` of bench/sdk.mjs).

import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { serve } from './serve.mjs';

const dist = process.env.HOPSCOPE_DIST;
const from = (file, name) => import(dist ? pathToFileURL(resolve(dist, file)).href : name);
const { createOtlpLogSink, init, logger, setLogSink } = await from('index.js', 'hopscope');
const { withHopscope } = await from(join('http', 'node', 'index.js'), 'hopscope/http');

const officialSpans = process.env.SPAN_EXPORT === 'official';
const handle = init({
  service: 'bench-hopscope',
  endpoint: process.env.SINK_URL,
  exportLogs: process.env.EXPORT_LOGS !== '0',
  exportTraces: !officialSpans,
  spanProcessors: officialSpans ? [officialSpanProcessor()] : [],
});
if (process.env.LOG_EXPORT === 'logs-sdk') {
  const { maxQueueSize, maxExportBatchSize } = handle.options;
  setLogSink(createOtlpLogSink(handle.loggerProvider, '0.1.0', maxQueueSize + maxExportBatchSize));
}
serve(
  createServer(
    withHopscope((_req, res) => {
      setTimeout(() => {
        logger.info('handled', { user: 'u1' });
        res.end('ok');
      }, 1);
    }),
  ),
  () => handle.forceFlush(),
);

function officialSpanProcessor() {
  const require = createRequire(import.meta.url);
  const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
  const { CompressionAlgorithm } = require('@opentelemetry/otlp-exporter-base');
  return new BatchSpanProcessor(
    new OTLPTraceExporter({
      url: `${process.env.SINK_URL}/v1/traces`,
      compression: CompressionAlgorithm.GZIP,
      timeoutMillis: 10_000,
    }),
    { scheduledDelayMillis: 500, maxQueueSize: 2048, maxExportBatchSize: 512 },
  );
}
