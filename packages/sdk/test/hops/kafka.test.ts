/**
 * Kafka has no broker on this machine, so the helpers are tested at the message level with
 * kafkajs' own parts: messages go through kafkajs' RecordBatch wire encoder and decoder (headers
 * come back as Buffers, as a consumer gets them), and consumers get kafkajs' `Batch` objects.
 */
import { createRequire } from 'node:module';
import { context, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import type {
  EachBatchPayload,
  EachMessagePayload,
  KafkaMessage,
  ProducerBatch,
  ProducerRecord,
  RecordMetadata,
} from 'kafkajs';
import { describe, expect, it } from 'vitest';
import {
  getRequestId,
  getServicesEncountered,
  runWithRequestId,
  setServicesEncountered,
} from '../../src/context/index.js';
import { createCapture } from '../../src/http/testing.js';
import {
  processKafkaBatch,
  send,
  sendBatch,
  tracedEachBatch,
  tracedEachMessage,
} from '../../src/messaging/kafka/index.js';

const require = createRequire(import.meta.url);
const kafkajsDir = require.resolve('kafkajs').replace(/index\.js$/, '');
const Record = require(`${kafkajsDir}src/protocol/recordBatch/record/v0`);
const { RecordBatch } = require(`${kafkajsDir}src/protocol/recordBatch/v0`);
const decodeRecordBatch = require(`${kafkajsDir}src/protocol/recordBatch/v0/decoder`);
const Decoder = require(`${kafkajsDir}src/protocol/decoder`);
const Batch = require(`${kafkajsDir}src/consumer/batch`);

const capture = createCapture('ingestion-api');
const producerHop = { service: 'kafka-producer', tracer: capture.tracer };
const consumerHop = {
  service: 'minicpm-vision',
  tracer: capture.tracer,
  logger: capture.logger,
  groupId: 'vision',
};

/**
 * What a broker round trip does to a record: kafkajs encodes the messages into a RecordBatch
 * (as its produce request does) and decodes them (as its fetch does) into a consumer `Batch`.
 */
class WireLoopback {
  batches: InstanceType<typeof Batch>[] = [];
  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    const now = Date.now();
    const records = record.messages.map((m, i) =>
      Record({ ...m, offsetDelta: i, timestampDelta: 0 }),
    );
    const encoded = await RecordBatch({
      records,
      firstTimestamp: now,
      maxTimestamp: now,
      lastOffsetDelta: records.length - 1,
    });
    const decoded = await decodeRecordBatch(new Decoder(encoded.buffer));
    this.batches.push(
      new Batch(record.topic, '0', {
        partition: 0,
        highWatermark: String(records.length),
        messages: decoded.records,
      }),
    );
    return [{ topicName: record.topic, partition: 0, errorCode: 0 }];
  }
  async sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    const out: RecordMetadata[] = [];
    for (const tm of batch.topicMessages ?? []) out.push(...(await this.send(tm)));
    return out;
  }
}

function inRequest<T>(fn: () => T, id: string): { result: T; traceId: string } {
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

function eachMessagePayload(
  batch: InstanceType<typeof Batch>,
  message: KafkaMessage,
): EachMessagePayload {
  return {
    topic: batch.topic,
    partition: batch.partition,
    message,
    heartbeat: async () => undefined,
    pause: () => () => undefined,
  };
}

describe('kafkajs helpers on kafkajs wire-encoded messages', () => {
  it('send → eachMessage: headers survive the wire as Buffers and continue the request', async () => {
    capture.reset();
    const wire = new WireLoopback();
    const { traceId, result } = inRequest(
      () =>
        send(
          wire,
          {
            topic: 'device.sensor.gps.raw',
            messages: [
              { key: 'dev-1', value: JSON.stringify({ lat: 1 }), headers: { tenant: 'acme' } },
            ],
          },
          producerHop,
        ),
      'req_00000000c0de',
    );
    await result;
    const batch = wire.batches[0];
    const message: KafkaMessage = batch.messages[0];
    expect(Buffer.isBuffer(message.headers?.traceparent)).toBe(true);
    expect(String(message.headers?.services_encountered)).toBe(
      'client-app,api-gateway,ingestion-api,kafka-producer',
    );
    expect(String(message.headers?.producer_service)).toBe('kafka-producer');
    expect(String(message.headers?.tenant)).toBe('acme');

    let seen: { id?: string; chain: readonly string[]; traceId?: string } | undefined;
    await tracedEachMessage(async (_payload, ctx) => {
      seen = {
        id: getRequestId(),
        chain: getServicesEncountered(),
        traceId: trace.getSpanContext(ctx)?.traceId,
      };
    }, consumerHop)(eachMessagePayload(batch, message));
    expect(seen).toEqual({
      id: 'req_00000000c0de',
      chain: ['client-app', 'api-gateway', 'ingestion-api', 'kafka-producer', 'minicpm-vision'],
      traceId,
    });
    const consumer = capture.spans().find((s) => s.kind === SpanKind.CONSUMER)!;
    expect(consumer.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': 'device.sensor.gps.raw',
      'messaging.destination.partition.id': '0',
      'messaging.kafka.offset': 0,
      'messaging.kafka.message.key': 'dev-1',
      'messaging.consumer.group.name': 'vision',
      'messaging.operation.type': 'process',
    });
    const producer = capture.spans().find((s) => s.kind === SpanKind.PRODUCER)!;
    expect(consumer.parentSpanContext?.spanId).toBe(producer.spanContext().spanId);
  });

  it('eachMessage rethrows (so kafkajs retries) after recording and logging in context', async () => {
    capture.reset();
    const wire = new WireLoopback();
    await inRequest(
      () => send(wire, { topic: 't', messages: [{ value: 'x' }] }, producerHop),
      'req_00000000dead',
    ).result;
    const batch = wire.batches[0];
    const run = tracedEachMessage(() => {
      throw new Error('vision model down');
    }, consumerHop);
    await expect(run(eachMessagePayload(batch, batch.messages[0]))).rejects.toThrow(
      'vision model down',
    );
    const line = capture.lines.find((l) => l.event === 'message_processing_failed')!;
    expect(line.request_id).toBe('req_00000000dead');
    expect(capture.spans().find((s) => s.kind === SpanKind.CONSUMER)?.status.code).toBe(2);
  });

  it('eachBatch: one span, linked to every message producer; payload fields opt-in', async () => {
    capture.reset();
    const wire = new WireLoopback();
    const ids = ['req_0000000000e1', 'req_0000000000e2', 'req_0000000000e3'];
    const sent = ids.map((id) =>
      inRequest(
        () =>
          send(
            wire,
            { topic: 'jobs', messages: [{ value: JSON.stringify({ id }) }] },
            { ...producerHop, payloadFields: true },
          ),
        id,
      ),
    );
    await Promise.all(sent.map((s) => s.result));
    const traceIds = sent.map((s) => s.traceId);
    const messages = wire.batches.flatMap((b) => b.messages);
    expect(JSON.parse(messages[0].value.toString())).toMatchObject({
      id: ids[0],
      request_id: ids[0],
      trace_id: traceIds[0],
    });
    const combined = {
      topic: 'jobs',
      partition: 0,
      messages,
    } as unknown as EachBatchPayload['batch'];
    let seen: string[] = [];
    await tracedEachBatch(async (_payload, entries) => {
      seen = entries.map((e) => getRequestId(e.context) ?? '');
    }, consumerHop)({ batch: combined } as EachBatchPayload);
    expect(seen).toEqual(ids);
    const span = capture.spans().find((s) => s.attributes['messaging.batch.message_count'] === 3)!;
    expect(span.links.map((l) => l.context.traceId)).toEqual(traceIds);
    expect(span.attributes['request.id']).toMatch(/^req_/);
    expect(ids).not.toContain(span.attributes['request.id']);

    // a consumer that only sees values: payload fields are the fallback
    const headerless = messages.map((m: KafkaMessage) => ({ ...m, headers: {} }));
    const fromPayload = processKafkaBatch(
      { topic: 'jobs', partition: 0, messages: headerless },
      (entries) => entries.map((e) => getRequestId(e.context)),
      { ...consumerHop, payloadFields: true },
    );
    expect(fromPayload).toEqual(ids);
  });

  it('sendBatch: one producer span per topic, each message carrying its topic span', async () => {
    capture.reset();
    const wire = new WireLoopback();
    await inRequest(
      () =>
        sendBatch(
          wire,
          {
            topicMessages: [
              { topic: 'a', messages: [{ value: '1' }, { value: '2' }] },
              { topic: 'b', messages: [{ value: '3' }] },
            ],
          },
          producerHop,
        ),
      'req_0000000000f1',
    ).result;
    const producers = capture.spans().filter((s) => s.kind === SpanKind.PRODUCER);
    expect(producers.map((p) => [p.name, p.attributes['messaging.batch.message_count']])).toEqual([
      ['send a', 2],
      ['send b', 1],
    ]);
    const [a, b] = wire.batches;
    for (const [batch, span] of [
      [a, producers[0]],
      [b, producers[1]],
    ] as const) {
      for (const m of batch.messages as KafkaMessage[]) {
        expect(String(m.headers?.traceparent)).toContain(span.spanContext().spanId);
        expect(String(m.headers?.['x-request-id'])).toBe('req_0000000000f1');
      }
    }
    await expect(sendBatch(wire, {} as ProducerBatch)).rejects.toThrow(/topicMessages/);
  });

  it('rejects a malformed record with a precise message', () => {
    expect(() => send(new WireLoopback(), {} as ProducerRecord)).toThrow(
      /record \{ topic, messages/,
    );
  });
});
