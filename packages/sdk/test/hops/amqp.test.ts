import { context, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import amqp, { type ChannelModel, type ConsumeMessage } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  getRequestId,
  getServicesEncountered,
  runWithRequestId,
  setServicesEncountered,
} from '../../src/context/index.js';
import { createCapture } from '../../src/http/testing.js';
import {
  consume,
  processAmqpBatch,
  processAmqpMessage,
  publish,
  publishConfirmed,
  sendToQueue,
} from '../../src/messaging/amqp/index.js';
import { type Broker, requireBinary, skipWithout, startRabbit } from './brokers.js';

const capture = createCapture('gateway');
const gateway = { service: 'ingestion-api', tracer: capture.tracer };
const worker = { service: 'minicpm-vision', tracer: capture.tracer, logger: capture.logger };

async function connectWithRetry(url: string): Promise<ChannelModel> {
  let last: unknown;
  for (let i = 0; i < 50; i++) {
    try {
      return await amqp.connect(url);
    } catch (error) {
      last = error; // the port opens a moment before the broker takes AMQP sessions
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw last;
}

function inRequest<T>(fn: () => T, id = 'req_0000000000aa'): { result: T; traceId: string } {
  const span = capture.tracer.startSpan('POST /sensor/gps', { kind: SpanKind.SERVER });
  const ctx = setServicesEncountered(trace.setSpan(ROOT_CONTEXT, span), [
    'client-app',
    'api-gateway',
    'ingestion-api',
  ]);
  const result = context.with(ctx, () => runWithRequestId(id, fn));
  span.end();
  return { result, traceId: span.spanContext().traceId };
}

describe.skipIf(skipWithout('rabbitmq-server'))('AMQP helpers on a real rabbitmq-server', () => {
  let broker: Broker;
  let conn: ChannelModel;
  beforeAll(async () => {
    requireBinary('rabbitmq-server', 'rabbitmq-server');
    broker = await startRabbit();
    conn = await connectWithRetry(broker.url);
  }, 180_000);
  afterAll(async () => {
    await conn?.close().catch(() => undefined);
    await broker?.stop();
  }, 60_000);

  it('sendToQueue → consume: request ID, trace and chain; headers as seed 002 names them', async () => {
    capture.reset();
    const ch = await conn.createChannel();
    const { queue } = await ch.assertQueue('', { exclusive: true });
    const got = new Promise<{
      msg: ConsumeMessage;
      id?: string;
      chain: readonly string[];
      traceId?: string;
    }>((resolve) => {
      consume(
        ch,
        queue,
        (msg, ctx) => {
          ch.ack(msg);
          resolve({
            msg,
            id: getRequestId(),
            chain: getServicesEncountered(),
            traceId: trace.getSpanContext(ctx)?.traceId,
          });
        },
        {},
        worker,
      );
    });
    const { traceId } = inRequest(() =>
      sendToQueue(ch, queue, { latitude: 40.7 }, { messageId: 'm-1' }, gateway),
    );
    const seen = await got;
    expect(seen.id).toBe('req_0000000000aa');
    expect(seen.traceId).toBe(traceId);
    expect(seen.chain).toEqual(['client-app', 'api-gateway', 'ingestion-api', 'minicpm-vision']);
    const h = seen.msg.properties.headers ?? {};
    expect(String(h.services_encountered)).toBe('client-app,api-gateway,ingestion-api');
    expect(String(h.producer_service)).toBe('ingestion-api');
    expect(String(h['x-request-id'])).toBe('req_0000000000aa');
    expect(String(h.traceparent)).toContain(traceId);
    expect(seen.msg.properties.contentType).toBe('application/json');
    expect(JSON.parse(seen.msg.content.toString())).toEqual({ latitude: 40.7 });

    const spans = capture.spans();
    const producer = spans.find((s) => s.kind === SpanKind.PRODUCER)!;
    const consumer = spans.find((s) => s.kind === SpanKind.CONSUMER)!;
    expect(producer.attributes).toMatchObject({
      'messaging.system': 'rabbitmq',
      'messaging.destination.name': queue,
      'messaging.message.id': 'm-1',
    });
    expect(consumer.name).toBe(`process ${queue}`);
    expect(consumer.parentSpanContext?.spanId).toBe(producer.spanContext().spanId);
    expect(consumer.attributes['messaging.producer.service']).toBe('ingestion-api');
    await ch.close();
  });

  it('a topic exchange with a confirm channel; a failing handler is recorded, not thrown', async () => {
    capture.reset();
    const ch = await conn.createConfirmChannel();
    await ch.assertExchange('sensors', 'topic', { durable: false });
    const { queue } = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(queue, 'sensors', 'gps.#');
    const failed = new Promise<void>((resolve) => {
      consume(
        ch,
        queue,
        (msg) => {
          ch.ack(msg);
          setTimeout(resolve, 20);
          throw new Error('vision model down');
        },
        {},
        worker,
      );
    });
    await inRequest(() => publishConfirmed(ch, 'sensors', 'gps.raw', 'raw-bytes', {}, gateway))
      .result;
    await failed;
    const spans = capture.spans();
    const producer = spans.find((s) => s.kind === SpanKind.PRODUCER)!;
    expect(producer.name).toBe('send sensors');
    expect(producer.attributes['messaging.rabbitmq.destination.routing_key']).toBe('gps.raw');
    const consumer = spans.find((s) => s.kind === SpanKind.CONSUMER)!;
    expect(consumer.status.code).toBe(2);
    expect(consumer.events[0]?.name).toBe('exception');
    const line = capture.lines.find((l) => l.event === 'message_processing_failed')!;
    expect(line.request_id).toBe('req_0000000000aa');
    expect(line.trace_id).toBe(consumer.spanContext().traceId);
    expect(line.error).toBe('vision model down');
    await ch.close();
  });

  it('payload fields (opt-in) and a batch span with links to every producer', async () => {
    capture.reset();
    const ch = await conn.createChannel();
    const { queue } = await ch.assertQueue('', { exclusive: true });
    const ids = ['req_0000000000b1', 'req_0000000000b2'];
    const traceIds = ids.map(
      (id) =>
        inRequest(
          () => publish(ch, '', queue, { n: id }, {}, { ...gateway, payloadFields: true }),
          id,
        ).traceId,
    );
    const msgs: ConsumeMessage[] = [];
    while (msgs.length < 2) {
      const m = await ch.get(queue, { noAck: true });
      if (m === false) await new Promise((r) => setTimeout(r, 20));
      else msgs.push(m);
    }
    const body = JSON.parse(msgs[0].content.toString());
    expect(body).toMatchObject({ n: ids[0], request_id: ids[0], trace_id: traceIds[0] });
    expect(body.services_encountered).toEqual(['client-app', 'api-gateway', 'ingestion-api']);

    // a consumer that only sees the body still continues the request
    const bodyOnly = {
      ...msgs[1],
      properties: { ...msgs[1].properties, headers: {} },
    } as ConsumeMessage;
    expect(
      processAmqpMessage(bodyOnly, queue, () => getRequestId(), { ...worker, payloadFields: true }),
    ).toBe(ids[1]);

    const seen = processAmqpBatch(
      msgs,
      queue,
      (entries) => entries.map((e) => getRequestId(e.context)),
      worker,
    );
    expect(seen).toEqual(ids);
    const batch = capture.spans().find((s) => s.attributes['messaging.batch.message_count'] === 2)!;
    expect(batch.links.map((l) => l.context.traceId)).toEqual(traceIds);
    await ch.close();
  });
});
