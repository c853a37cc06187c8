// The floor issue #2 sets for any SDK: a request ID per request, carried in an AsyncLocalStorage
// context through the handler's async work (OpenTelemetry's context manager, as init() installs
// it) and echoed as x-request-id. No span, no log line, no export: what is left of the added CPU
// when everything else costs nothing.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { context, createContextKey, ROOT_CONTEXT } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { serve } from './serve.mjs';

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const REQUEST_ID = createContextKey('request id');
let seen = 0;

serve(
  createServer((req, res) => {
    const id = req.headers['x-request-id'] ?? `req_${randomBytes(6).toString('hex')}`;
    res.setHeader('x-request-id', id);
    context.with(ROOT_CONTEXT.setValue(REQUEST_ID, id), () => {
      setTimeout(() => {
        // read it where a log line would, so the context really travels through the timer
        if (context.active().getValue(REQUEST_ID) === id) seen++;
        res.end('ok');
      }, 1);
    });
  }),
);
process.on('exit', () => {
  if (seen === 0) console.error('context-floor: the request ID never reached the handler');
});
