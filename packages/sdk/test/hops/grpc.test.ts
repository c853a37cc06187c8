import * as grpc from '@grpc/grpc-js';
import { context, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWithRequestId, setServicesEncountered } from '../../src/context/index.js';
import { clientTarget, grpcClientInterceptor, tracedService } from '../../src/grpc/index.js';
import { createCapture } from '../../src/http/testing.js';
import { here, listen, loadEcho, type Pong } from './grpc-echo.js';

const capture = createCapture('model-svc');
const Echo = loadEcho();

type Call<T> = (cb: (err: grpc.ServiceError | null, v: T) => void) => void;
const unary = <T>(fn: Call<T>) =>
  new Promise<T>((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));

describe('gRPC interceptors on a real grpc-js server and client', () => {
  let server: grpc.Server;
  // biome-ignore lint/suspicious/noExplicitAny: generated client methods are untyped
  let client: any;
  let port: number;
  const headersSeen: Record<string, unknown>[] = [];

  beforeAll(async () => {
    server = new grpc.Server();
    server.addService(
      Echo.service,
      tracedService(
        Echo.service,
        {
          Say(call: grpc.ServerUnaryCall<{ text: string }, Pong>, cb: grpc.sendUnaryData<Pong>) {
            headersSeen.push(call.metadata.getMap());
            // async work inside the handler keeps the context
            setTimeout(() => cb(null, here(call.request.text)), 5);
          },
          Fail(_call: unknown, cb: grpc.sendUnaryData<Pong>) {
            cb({ code: grpc.status.INTERNAL, details: 'model exploded' } as grpc.ServiceError);
          },
          Repeat(call: grpc.ServerWritableStream<{ text: string; count: number }, Pong>) {
            for (let i = 0; i < call.request.count; i++)
              call.write(here(`${call.request.text}${i}`));
            call.end();
          },
          Collect(
            call: grpc.ServerReadableStream<{ text: string }, Pong>,
            cb: grpc.sendUnaryData<Pong>,
          ) {
            const parts: string[] = [];
            call.on('data', (m: { text: string }) =>
              parts.push(`${m.text}:${here('').request_id}`),
            );
            call.on('end', () => cb(null, here(parts.join(','))));
          },
          Chat(call: grpc.ServerDuplexStream<{ text: string }, Pong>) {
            call.on('data', (m: { text: string }) => call.write(here(m.text)));
            call.on('end', () => call.end());
          },
        },
        {
          service: 'model-svc',
          tracer: capture.tracer,
          logger: capture.logger,
          servicesEncountered: true,
        },
      ),
    );
    port = await listen(server);
    const target = `127.0.0.1:${port}`;
    client = new Echo(target, grpc.credentials.createInsecure(), {
      interceptors: [
        grpcClientInterceptor({
          service: 'worker',
          tracer: capture.tracer,
          target,
          servicesEncountered: true,
        }),
      ],
    });
  });
  afterAll(() => {
    client?.close();
    server?.forceShutdown();
  });

  function inWorker<T>(fn: () => T): T {
    const root = capture.tracer.startSpan('process jobs', { kind: SpanKind.CONSUMER });
    const ctx = setServicesEncountered(trace.setSpan(ROOT_CONTEXT, root), ['gateway', 'worker']);
    try {
      return context.with(ctx, () => runWithRequestId('req_00000000abcd', fn));
    } finally {
      root.end();
    }
  }

  it('unary: request ID, trace and chain reach the handler; x-request-id comes back', async () => {
    capture.reset();
    let responseMeta: grpc.Metadata | undefined;
    const pong = await inWorker(() =>
      unary<Pong>((cb) => {
        const call = client.Say({ text: 'hi' }, cb);
        call.on('metadata', (md: grpc.Metadata) => (responseMeta = md));
      }),
    );
    expect(pong.text).toBe('hi');
    expect(pong.request_id).toBe('req_00000000abcd');
    expect(pong.chain).toEqual(['gateway', 'worker', 'model-svc']);
    expect(responseMeta?.get('x-request-id')).toEqual(['req_00000000abcd']);
    expect(headersSeen.at(-1)?.['x-upstream-service']).toBe('worker');

    const spans = capture.spans();
    const clientSpan = spans.find((s) => s.kind === SpanKind.CLIENT)!;
    const serverSpan = spans.find((s) => s.kind === SpanKind.SERVER)!;
    expect(clientSpan.name).toBe('hopscope.test.Echo/Say');
    expect(clientSpan.attributes).toMatchObject({
      'rpc.system': 'grpc',
      'rpc.service': 'hopscope.test.Echo',
      'rpc.method': 'Say',
      'rpc.grpc.status_code': 0,
      'server.address': '127.0.0.1',
      'server.port': port,
      'request.id': 'req_00000000abcd',
    });
    expect(serverSpan.parentSpanContext?.spanId).toBe(clientSpan.spanContext().spanId);
    expect(serverSpan.attributes['upstream.service']).toBe('worker');
    expect(serverSpan.spanContext().traceId).toBe(pong.trace_id);
    expect(serverSpan.attributes['services.encountered']).toEqual([
      'gateway',
      'worker',
      'model-svc',
    ]);
    const line = capture.lines.find((l) => l.event === 'rpc_completed')!;
    expect(line.request_id).toBe('req_00000000abcd');
    expect(line.rpc_method).toBe('/hopscope.test.Echo/Say');
    expect(line.grpc_status).toBe('OK');
  });

  it('a call without context gets a fresh request ID', async () => {
    const pong = await unary<Pong>((cb) => client.Say({ text: 'x' }, cb));
    expect(pong.request_id).toMatch(/^req_[0-9a-f]{12}$/);
    expect(pong.chain).toEqual(['worker', 'model-svc']);
  });

  it('hostile metadata from a plain client is replaced, not propagated', async () => {
    const plain = new Echo(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const md = new grpc.Metadata();
    md.set('x-request-id', 'bad id; DROP TABLE');
    md.set('x-services-encountered', 'ok-svc,<script>,other');
    md.set('traceparent', '00-00000000000000000000000000000000-0000000000000000-01');
    const pong = await unary<Pong>((cb) => plain.Say({ text: 'x' }, md, cb));
    plain.close();
    expect(pong.request_id).toMatch(/^req_[0-9a-f]{12}$/);
    expect(pong.chain).toEqual(['ok-svc', 'other', 'model-svc']);
    expect(pong.trace_id).not.toBe('0'.repeat(32));
  });

  it('errors: both spans record the status, the server logs rpc_failed', async () => {
    capture.reset();
    const err = await inWorker(() => unary((cb) => client.Fail({ text: 'x' }, cb))).catch((e) => e);
    expect(err.code).toBe(grpc.status.INTERNAL);
    const spans = capture.spans();
    for (const s of spans.filter((s) => s.kind !== SpanKind.CONSUMER)) {
      expect(s.status.code).toBe(2);
      expect(s.attributes['rpc.grpc.status_code']).toBe(grpc.status.INTERNAL);
    }
    const line = capture.lines.find((l) => l.event === 'rpc_failed')!;
    expect(line.error).toBe('model exploded');
    expect(line.request_id).toBe('req_00000000abcd');
  });

  it('server streaming: every message is written in the request context', async () => {
    capture.reset();
    const pongs = await inWorker(
      () =>
        new Promise<Pong[]>((resolve, reject) => {
          const out: Pong[] = [];
          const call = client.Repeat({ text: 'r', count: 3 });
          call.on('data', (p: Pong) => out.push(p));
          call.on('end', () => resolve(out));
          call.on('error', reject);
        }),
    );
    expect(pongs.map((p) => p.text)).toEqual(['r0', 'r1', 'r2']);
    expect(new Set(pongs.map((p) => p.request_id))).toEqual(new Set(['req_00000000abcd']));
    await new Promise((r) => setTimeout(r, 20));
    expect(capture.spans().filter((s) => s.name === 'hopscope.test.Echo/Repeat')).toHaveLength(2);
  });

  it('client streaming and bidi: stream events run in the call context', async () => {
    const collected = await inWorker(() =>
      unary<Pong>((cb) => {
        const call = client.Collect(cb);
        call.write({ text: 'a' });
        call.write({ text: 'b' });
        call.end();
      }),
    );
    expect(collected.text).toBe('a:req_00000000abcd,b:req_00000000abcd');

    const chat = await inWorker(
      () =>
        new Promise<Pong[]>((resolve, reject) => {
          const out: Pong[] = [];
          const call = client.Chat();
          call.on('data', (p: Pong) => out.push(p));
          call.on('end', () => resolve(out));
          call.on('error', reject);
          call.write({ text: 'one' });
          call.write({ text: 'two' });
          call.end();
        }),
    );
    expect(chat.map((p) => [p.text, p.request_id])).toEqual([
      ['one', 'req_00000000abcd'],
      ['two', 'req_00000000abcd'],
    ]);
  });

  it('clientTarget reads the channel target', () => {
    expect(clientTarget(client)).toContain(String(port));
  });
});
