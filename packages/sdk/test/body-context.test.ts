import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withHopscope } from '../src/http/node/index.js';
import { getRequestId, type HopscopeHandle, init } from '../src/index.js';
import { OtlpReceiver } from './otlp-receiver.js';

/**
 * Body events come from the socket, outside the request's async context: the middleware must
 * make listeners a handler adds to the request (what body parsers do) run with its request ID.
 * The body is sent only after the server has answered 100-continue-free headers and the handler
 * registered its listeners, so the events really originate from later socket reads.
 */
const receiver = new OtlpReceiver();
let handle: HopscopeHandle;
let server: Server;
let port: number;
const seen = new Map<string, { data: (string | undefined)[]; end?: string; removed: number }>();

function readBody(req: IncomingMessage, key: string): void {
  const entry = {
    data: [] as (string | undefined)[],
    end: undefined as string | undefined,
    removed: 0,
  };
  seen.set(key, entry);
  const never = () => entry.removed++;
  req.on('data', never);
  req.off('data', never); // removal must find the listener as registered
  req.on('data', () => entry.data.push(getRequestId()));
  req.once('end', () => {
    entry.end = getRequestId();
  });
}

beforeAll(async () => {
  handle = init({ service: 'body-context', endpoint: await receiver.start(), exportDelayMs: 50 });
  server = createServer(
    withHopscope((req, res) => {
      const key = String(req.headers['x-key']);
      readBody(req, key);
      req.on('end', () => res.end(JSON.stringify({ id: getRequestId() })));
    }),
  );
  server.listen({ port: 0, host: '127.0.0.1' });
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.close();
  await handle.shutdown();
  await receiver.stop();
});

/** A POST whose body follows its headers in a second write, once the server has read them. */
async function delayedPost(key: string, requestId: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const body = JSON.stringify({ key, pad: 'x'.repeat(64) });
  socket.write(
    `POST /echo HTTP/1.1\r\nhost: 127.0.0.1\r\nx-key: ${key}\r\nx-request-id: ${requestId}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`,
  );
  // the handler registers its listeners when the headers arrive; wait until it has
  for (let i = 0; i < 200 && !seen.has(key); i++) await new Promise((r) => setTimeout(r, 5));
  expect(seen.has(key), 'the handler never saw the request headers').toBe(true);
  socket.write(body.slice(0, 20));
  await new Promise((r) => setImmediate(r));
  socket.write(body.slice(20));
  let raw = '';
  socket.on('data', (d) => {
    raw += d;
  });
  await once(socket, 'end');
  return raw;
}

describe('request body events', () => {
  it('run in the request context, for listeners added by the handler', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `req_body_${i}`);
    const answers = await Promise.all(ids.map((id, i) => delayedPost(`k${i}`, id)));
    ids.forEach((id, i) => {
      const entry = seen.get(`k${i}`)!;
      expect(entry.data.length).toBeGreaterThan(0);
      expect(entry.data.every((d) => d === id)).toBe(true);
      expect(entry.end).toBe(id);
      expect(entry.removed).toBe(0);
      expect(answers[i]).toContain(`{"id":"${id}"}`);
    });
  });
});

describe('request events of any arity', () => {
  it('keep every argument and run in the request context when someone listens', async () => {
    const got: unknown[][] = [];
    const returned: boolean[] = [];
    const local = createServer(
      withHopscope((req, res) => {
        for (const event of ['none', 'one', 'three']) {
          req.on(event, (...args: unknown[]) => got.push([event, getRequestId(), ...args]));
        }
        // from outside the request's context, as a socket read would
        context.with(ROOT_CONTEXT, () => {
          returned.push(req.emit('none'), req.emit('one', 1), req.emit('three', 1, 'b', null));
          returned.push(req.emit('unheard', 1, 2, 3), req.emit('unheard'));
        });
        res.end();
      }),
    );
    local.listen({ port: 0, host: '127.0.0.1' });
    await once(local, 'listening');
    const { port: localPort } = local.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${localPort}/`, {
      headers: { 'x-request-id': 'req_arity' },
    });
    await res.text();
    local.close();
    expect(got).toEqual([
      ['none', 'req_arity'],
      ['one', 'req_arity', 1],
      ['three', 'req_arity', 1, 'b', null],
    ]);
    expect(returned).toEqual([true, true, true, false, false]);
  });
});
