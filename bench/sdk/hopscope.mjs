// Hopscope: init() (spans and, unless EXPORT_LOGS=0, log records over OTLP to the sink) + the
// node:http middleware (request ID, server span, request_completed) + one log line in the handler.
import { createServer } from 'node:http';
import { init, logger } from 'hopscope';
import { withHopscope } from 'hopscope/http';
import { serve } from './serve.mjs';

const handle = init({
  service: 'bench-hopscope',
  endpoint: process.env.SINK_URL,
  exportLogs: process.env.EXPORT_LOGS !== '0',
});
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
