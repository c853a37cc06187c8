import type { AddressInfo } from 'node:net';
import { context, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import {
  getRequestId,
  getServicesEncountered,
  runWithRequestId,
  setServicesEncountered,
} from '../../src/context/index.js';
import { createCapture } from '../../src/http/testing.js';
import { connectTraced, sendTraced, traceConnection } from '../../src/ws/index.js';

const capture = createCapture('notifier');
const opts = {
  service: 'notifier',
  tracer: capture.tracer,
  logger: capture.logger,
  servicesEncountered: true,
};

interface Seen {
  requestId?: string;
  chain: readonly string[];
  traceId?: string;
  text?: unknown;
}

describe('ws helpers on a real WebSocket server', () => {
  let wss: WebSocketServer;
  let url: string;
  const seen: Seen[] = [];
  let waiters: (() => void)[] = [];
  const nextSeen = (n: number) =>
    new Promise<void>((resolve) => {
      const check = () => (seen.length >= n ? resolve() : waiters.push(check));
      check();
    });

  beforeAll(async () => {
    wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => wss.once('listening', r));
    url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/events`;
    wss.on('connection', (ws, req) => {
      const conn = traceConnection(ws, req, opts);
      conn.onMessage(async (msg, ctx) => {
        await new Promise((r) => setTimeout(r, 2));
        if (msg.json?.fail) throw new Error('handler broke');
        seen.push({
          requestId: getRequestId(),
          chain: getServicesEncountered(),
          traceId: trace.getSpanContext(ctx)?.traceId,
          text: msg.json?.text ?? String(msg.data),
        });
        conn.send({ ack: msg.json?.text ?? null });
        const w = waiters;
        waiters = [];
        for (const f of w) f();
      });
    });
  });
  afterAll(() => wss?.close());

  function inGrpcHandler<T>(fn: () => T): { result: T; traceId: string } {
    const span = capture.tracer.startSpan('hopscope.test.Echo/Say', { kind: SpanKind.SERVER });
    const ctx = setServicesEncountered(trace.setSpan(ROOT_CONTEXT, span), ['gateway', 'model-svc']);
    const result = context.with(ctx, () => runWithRequestId('req_bbbbbbbbbbbb', fn));
    span.end();
    return { result, traceId: span.spanContext().traceId };
  }

  it('the upgrade is the connection parent; sendTraced messages continue the sender', async () => {
    capture.reset();
    seen.length = 0;
    const client = { service: 'model-svc', tracer: capture.tracer, servicesEncountered: true };
    const { result: ws, traceId } = inGrpcHandler(() => connectTraced(url, client));
    await new Promise((r) => ws.once('open', r));
    const acks: unknown[] = [];
    ws.on('message', (d) => acks.push(JSON.parse(String(d))));
    inGrpcHandler(() => sendTraced(ws, { text: 'done' }, client));
    await nextSeen(1);
    expect(seen[0].requestId).toBe('req_bbbbbbbbbbbb');
    expect(seen[0].chain).toEqual(['gateway', 'model-svc', 'notifier']);
    expect(seen[0].text).toBe('done');

    // plain text: a fresh request ID, parent is the upgrade
    ws.send('ping');
    await nextSeen(2);
    expect(seen[1].requestId).toMatch(/^req_[0-9a-f]{12}$/);
    expect(seen[1].requestId).not.toBe('req_bbbbbbbbbbbb');
    expect(seen[1].traceId).toBe(traceId);
    // a JSON message with its own request_id keeps it
    ws.send(JSON.stringify({ text: 'mine', request_id: 'req_cccccccccccc' }));
    await nextSeen(3);
    expect(seen[2].requestId).toBe('req_cccccccccccc');
    ws.send(JSON.stringify({ fail: true }));
    await new Promise((r) => setTimeout(r, 50));
    ws.close();

    const spans = capture.spans();
    const upgrade = spans.find((s) => s.kind === SpanKind.SERVER && s.name.startsWith('GET'))!;
    const connect = spans.find((s) => s.name === 'WS connect /events')!;
    expect(upgrade.parentSpanContext?.spanId).toBe(connect.spanContext().spanId);
    expect(upgrade.attributes['http.response.status_code']).toBe(101);
    const messages = spans.filter((s) => s.name === 'WS /events');
    expect(messages).toHaveLength(4);
    const first = messages[0];
    const send = spans.find((s) => s.name === 'WS send')!;
    expect(first.parentSpanContext?.spanId).toBe(send.spanContext().spanId);
    expect(first.links[0]?.context.spanId).toBe(upgrade.spanContext().spanId);
    expect(messages[1].parentSpanContext?.spanId).toBe(upgrade.spanContext().spanId);
    expect(messages[1].attributes['websocket.connection.request_id']).toBe('req_bbbbbbbbbbbb');
    expect(messages[3].status.code).toBe(2);
    const failed = capture.lines.find((l) => l.event === 'websocket_message_failed')!;
    expect(failed.error).toBe('handler broke');
    // replies carry the message's request ID back
    expect((acks[0] as { metadata: { request_id: string } }).metadata.request_id).toBe(
      'req_bbbbbbbbbbbb',
    );
  });

  it('a plain ws client without Hopscope still gets request IDs and spans', async () => {
    seen.length = 0;
    const ws = new WebSocket(url, { headers: { 'x-request-id': 'evil id!<script>' } });
    await new Promise((r) => ws.once('open', r));
    ws.send('hello');
    await nextSeen(1);
    expect(seen[0].requestId).toMatch(/^req_[0-9a-f]{12}$/);
    expect(seen[0].chain).toEqual(['notifier']);
    ws.close();
  });
});
