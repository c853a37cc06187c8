// Baseline: node:http and the 1 ms handler, no instrumentation.
import { createServer } from 'node:http';
import { serve } from './serve.mjs';

serve(
  createServer((_req, res) => {
    setTimeout(() => res.end('ok'), 1);
  }),
);
