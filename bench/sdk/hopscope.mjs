// Hopscope: init() (spans and, unless EXPORT_LOGS=0, log records over OTLP to the sink) + the
// node:http middleware (request ID, server span, request_completed) + one log line in the handler.
// LOG_EXPORT=logs-sdk sends the log records through the OpenTelemetry logs SDK path instead of
// Hopscope's line export (a LogRecord per line, BatchLogRecordProcessor, OTLPLogExporter), for
// comparison in the same run.
import { createServer } from 'node:http';
import { createOtlpLogSink, init, logger, setLogSink } from 'hopscope';
import { withHopscope } from 'hopscope/http';
import { serve } from './serve.mjs';

const handle = init({
  service: 'bench-hopscope',
  endpoint: process.env.SINK_URL,
  exportLogs: process.env.EXPORT_LOGS !== '0',
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
