// Hopscope: init() (spans and log records over OTLP to the sink) + the node:http middleware
// (request ID, server span, request_received/request_completed) + one log line in the handler.
import { createServer } from 'node:http';
import { init, logger } from 'hopscope';
import { withHopscope } from 'hopscope/http';
import { serve } from './serve.mjs';

const handle = init({ service: 'bench-hopscope', endpoint: process.env.SINK_URL });
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
