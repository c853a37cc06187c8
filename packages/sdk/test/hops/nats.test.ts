import { AckPolicy, type JsMsg, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { context, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getRequestId, getServicesEncountered, runWithRequestId } from '../../src/context/index.js';
import { createCapture } from '../../src/http/testing.js';
import {
  jetStreamPublish,
  processJsBatch,
  processMsg,
  publish,
  request,
  subscribe,
} from '../../src/messaging/nats/index.js';
import { addServiceToTrace } from '../../src/propagation/index.js';
import { type Broker, requireBinary, skipWithout, startNats } from './brokers.js';

const capture = createCapture('gateway');
const gateway = { service: 'gateway', tracer: capture.tracer };
const worker = { service: 'worker', tracer: capture.tracer };

describe.skipIf(skipWithout('nats-server'))('NATS helpers on a real nats-server', () => {
  let broker: Broker;
  let nc: NatsConnection;
  beforeAll(async () => {
    requireBinary('nats-server', 'nats-server');
    broker = await startNats();
    nc = await connect({ servers: broker.url });
  });
  afterAll(async () => {
    await nc?.close();
    await broker?.stop();
  });

  /** A request's context with a parent span, as an HTTP handler would have it. */
  function inRequest<T>(fn: () => T): T {
    const parent = capture.tracer.startSpan('POST /ingest', { kind: SpanKind.SERVER });
    const ctx = addServiceToTrace('gateway', trace.setSpan(ROOT_CONTEXT, parent));
    return context.with(ctx, () => runWithRequestId('req_0123456789ab', fn));
  }

  it('publish → subscribe continues the request ID, the trace and the chain', async () => {
    capture.reset();
    const seen = new Promise<{
      id?: string;
      chain: readonly string[];
      traceId?: string;
      body: string;
    }>((resolve) => {
      const sub = subscribe(
        nc,
        'orders.created',
        (msg, ctx) => {
          resolve({
            id: getRequestId(),
            chain: getServicesEncountered(),
            traceId: trace.getSpanContext(ctx)?.traceId,
            body: new TextDecoder().decode(msg.data),
          });
          sub.unsubscribe();
        },
        {},
        worker,
      );
    });
    await nc.flush();
    const traceId = inRequest(() => {
      publish(nc, 'orders.created', { order: 7 }, {}, gateway);
      return trace.getSpanContext(context.active())?.traceId;
    });
    const got = await seen;
    expect(got.id).toBe('req_0123456789ab');
    expect(got.chain).toEqual(['gateway', 'worker']);
    expect(got.traceId).toBe(traceId);
    expect(JSON.parse(got.body)).toEqual({ order: 7 });

    const spans = capture.spans();
    const producer = spans.find((s) => s.kind === SpanKind.PRODUCER)!;
    const consumer = spans.find((s) => s.kind === SpanKind.CONSUMER)!;
    expect(producer.name).toBe('send orders.created');
    expect(producer.attributes['messaging.system']).toBe('nats');
    expect(producer.attributes['messaging.operation.type']).toBe('send');
    expect(consumer.name).toBe('process orders.created');
    expect(consumer.attributes['messaging.operation.type']).toBe('process');
    expect(consumer.attributes['messaging.destination.name']).toBe('orders.created');
    expect(consumer.attributes['request.id']).toBe('req_0123456789ab');
    expect(consumer.attributes['messaging.producer.service']).toBe('gateway');
    expect(consumer.attributes['services.encountered']).toEqual(['gateway', 'worker']);
    expect(consumer.parentSpanContext?.spanId).toBe(producer.spanContext().spanId);
  });

  it('a message without headers gets a fresh request ID and a new trace', async () => {
    const done = new Promise<string | undefined>((resolve) => {
      const sub = nc.subscribe('bare', {
        callback: (_e, msg) => {
          resolve(processMsg(msg, () => getRequestId(), worker));
          sub.unsubscribe();
        },
      });
    });
    await nc.flush();
    nc.publish('bare', 'x');
    expect(await done).toMatch(/^req_[0-9a-f]{12}$/);
  });

  it('hostile header values are replaced, not propagated', async () => {
    const done = new Promise<{ id?: string; chain: readonly string[] }>((resolve) => {
      const sub = nc.subscribe('hostile', {
        callback: (_e, msg) => {
          resolve(
            processMsg(
              msg,
              () => ({ id: getRequestId(), chain: getServicesEncountered() }),
              worker,
            ),
          );
          sub.unsubscribe();
        },
      });
    });
    await nc.flush();
    const h = headers();
    h.set('x-request-id', 'a'.repeat(500));
    h.set('services_encountered', 'ok-service,\u001b[2Jevil,other');
    h.set('traceparent', '00-zz-bad');
    nc.publish('hostile', 'x', { headers: h });
    const got = await done;
    expect(got.id).toMatch(/^req_[0-9a-f]{12}$/);
    expect(got.chain).toEqual(['ok-service', 'other', 'worker']);
  });

  it('request/reply carries the context to the responder', async () => {
    const sub = subscribe(
      nc,
      'rpc.echo',
      (msg) => msg.respond(JSON.stringify({ id: getRequestId(), chain: getServicesEncountered() })),
      {},
      worker,
    );
    await nc.flush();
    const reply = await inRequest(() => request(nc, 'rpc.echo', 'hi', { timeout: 5000 }, gateway));
    expect(reply.json()).toEqual({ id: 'req_0123456789ab', chain: ['gateway', 'worker'] });
    sub.unsubscribe();
  });

  it('opt-in payload fields let a header-less consumer continue the trace', async () => {
    const got = new Promise<Record<string, unknown>>((resolve) => {
      const sub = nc.subscribe('payload', {
        callback: (_e, msg) => {
          const body = msg.json<Record<string, unknown>>();
          // the consumer sees only the body: headers dropped on purpose
          const bodyOnly = { ...msg, headers: undefined, subject: msg.subject, data: msg.data };
          const id = processMsg(bodyOnly, () => getRequestId(), { ...worker, payloadFields: true });
          resolve({ ...body, seenId: id });
          sub.unsubscribe();
        },
      });
    });
    await nc.flush();
    inRequest(() => publish(nc, 'payload', { order: 1 }, {}, { ...gateway, payloadFields: true }));
    const body = await got;
    expect(body.order).toBe(1);
    expect(body.request_id).toBe('req_0123456789ab');
    expect(body.services_encountered).toEqual(['gateway']);
    expect(body.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(body.traceparent).toContain(body.trace_id as string);
    expect(body.seenId).toBe('req_0123456789ab');
  });

  it('JetStream: publish with ack, one batch span linked to every producer', async () => {
    capture.reset();
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'JOBS', subjects: ['jobs.>'] });
    await jsm.consumers.add('JOBS', { durable_name: 'workers', ack_policy: AckPolicy.Explicit });
    const js = jetstream(nc);
    const ids = ['req_aaaaaaaaaaa1', 'req_aaaaaaaaaaa2', 'req_aaaaaaaaaaa3'];
    const traceIds: string[] = [];
    for (const id of ids) {
      const root = capture.tracer.startSpan('POST /jobs');
      await context.with(trace.setSpan(ROOT_CONTEXT, root), () =>
        runWithRequestId(id, async () => {
          const ack = await jetStreamPublish(js, 'jobs.render', { id }, {}, gateway);
          expect(ack.stream).toBe('JOBS');
        }),
      );
      traceIds.push(root.spanContext().traceId);
      root.end();
    }
    const consumer = await js.consumers.get('JOBS', 'workers');
    const batch: JsMsg[] = [];
    const iter = await consumer.fetch({ max_messages: 3, expires: 5000 });
    for await (const m of iter) batch.push(m);
    expect(batch).toHaveLength(3);
    const seen = processJsBatch(
      batch,
      (entries) =>
        entries.map((e) => {
          e.message.ack();
          return { id: getRequestId(e.context), chain: getServicesEncountered(e.context) };
        }),
      worker,
    );
    expect(seen.map((s) => s.id)).toEqual(ids);
    expect(seen[0].chain).toEqual(['gateway', 'worker']);
    const batchSpan = capture
      .spans()
      .find((s) => s.kind === SpanKind.CONSUMER && s.name === 'process jobs.render')!;
    expect(batchSpan.attributes['messaging.batch.message_count']).toBe(3);
    expect(batchSpan.links.map((l) => l.context.traceId)).toEqual(traceIds);
    expect(batchSpan.links.map((l) => l.attributes?.['request.id'])).toEqual(ids);
    expect(traceIds).not.toContain(batchSpan.spanContext().traceId);
    const producers = capture.spans().filter((s) => s.kind === SpanKind.PRODUCER);
    expect(producers.map((p) => p.attributes['messaging.message.id'])).toEqual(['1', '2', '3']);
  });

  it('processMsg on a JetStream message continues its trace', async () => {
    const js = jetstream(nc);
    await inRequest(() => jetStreamPublish(js, 'jobs.one', 'payload', {}, gateway));
    const consumer = await js.consumers.get('JOBS', 'workers');
    const m = await consumer.next({ expires: 5000 });
    expect(m).not.toBeNull();
    const id = await processMsg(
      m!,
      async (msg) => {
        msg.ack();
        return getRequestId();
      },
      worker,
    );
    expect(id).toBe('req_0123456789ab');
  });
});
