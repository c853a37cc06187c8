import type * as Http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type HopscopeHandle, init, runWithRequestId, withSpan } from '../src/index.js';
import { LineSink } from './line-sink.js';
import { OtlpReceiver } from './otlp-receiver.js';

const receiver = new OtlpReceiver();
let handle: HopscopeHandle;
let instrumentation: HttpInstrumentation;
let http: typeof Http;
let server: Http.Server;
let port: number;

beforeAll(async () => {
  const endpoint = await receiver.start();
  handle = init({
    service: 'third-party',
    endpoint,
    exportDelayMs: 50,
    logDestination: new LineSink(),
  });
  instrumentation = new HttpInstrumentation({
    // the exporter's own calls to the receiver are not what this test is about
    ignoreOutgoingRequestHook: (req) => String(req.path ?? '').startsWith('/v1/'),
  });
  instrumentation.setTracerProvider(handle.tracerProvider);
  instrumentation.enable();
  // the instrumentation patches node:http as it is required (how it works in a CommonJS app)
  http = createRequire(import.meta.url)('node:http') as typeof Http;
  server = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  instrumentation.disable();
  server.close();
  await handle.shutdown();
  await receiver.stop();
});

describe('request.id on spans from @opentelemetry/instrumentation-http', () => {
  it('is on the client span made by the instrumentation and on the server span it continues', async () => {
    await runWithRequestId('req_ffffffffffff', () =>
      withSpan('caller', async () => {
        await new Promise<void>((resolve, reject) => {
          http
            .get(`http://127.0.0.1:${port}/hello`, (res) => {
              res.resume();
              res.on('end', resolve);
            })
            .on('error', reject);
        });
      }),
    );
    await vi.waitFor(
      () => {
        const kinds = receiver.spans().map((s) => s.name);
        expect(kinds).toContain('caller');
        expect(kinds.filter((k) => k === 'GET')).toHaveLength(2);
      },
      { timeout: 10_000 },
    );
    const spans = receiver.spans();
    const caller = spans.find((s) => s.name === 'caller');
    const gets = spans.filter((s) => s.name === 'GET');
    for (const s of gets) {
      expect(s.attributes['request.id']).toBe('req_ffffffffffff');
      expect(s.traceId).toBe(caller?.traceId);
    }
  });
});
