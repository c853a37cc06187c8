import type { Context, Span } from '@opentelemetry/api';
import type {
  Batch,
  EachBatchPayload,
  EachMessagePayload,
  IHeaders,
  KafkaMessage,
  Message,
  Producer,
  ProducerBatch,
  ProducerRecord,
  RecordMetadata,
} from 'kafkajs';
import {
  type BatchEntry,
  beginPublish,
  logFailures,
  type MessagingOptions,
  type Publication,
  processBatch,
  processMessage,
  publishWith,
  type ReceivedMessage,
  requireName,
} from '../core.js';
import { addPayloadFields, payloadFieldsFrom } from '../payload-fields.js';
import {
  ATTR_MESSAGING_BATCH_MESSAGE_COUNT,
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_DESTINATION_PARTITION_ID,
  ATTR_MESSAGING_KAFKA_MESSAGE_KEY,
  ATTR_MESSAGING_KAFKA_OFFSET,
  ATTR_MESSAGING_MESSAGE_BODY_SIZE,
} from '../semconv.js';

export type { BatchEntry, MessagingOptions } from '../core.js';

export interface KafkaOptions extends MessagingOptions {
  /** The consumer group, for `messaging.consumer.group.name` on consumer spans. */
  groupId?: string;
}

/** Anything with kafkajs' `send` (a Producer, or a transaction from `producer.transaction()`). */
export type KafkaSender = Pick<Producer, 'send'>;

/**
 * The message with Hopscope headers added (`traceparent`, `x-request-id`, `services_encountered`,
 * `producer_service`, …) and, with `payloadFields`, the trace fields inside a JSON value.
 * The message's own headers are kept; ours replace same-named ones.
 */
export function withKafkaHeaders(
  message: Message,
  publication: Publication,
  hop?: MessagingOptions,
): Message {
  const headers: IHeaders = { ...message.headers, ...publication.headers };
  let value = message.value;
  if (hop?.payloadFields === true && value !== null && value !== undefined) {
    const added = addPayloadFields(value, payloadFieldsFrom(publication.headers));
    value = typeof added === 'string' ? added : Buffer.from(added as Uint8Array);
  }
  return { ...message, headers, value };
}

/**
 * `producer.send(record)` with one PRODUCER span (`send <topic>`) whose context every message
 * carries in its headers; the span ends when the brokers acknowledge.
 */
export function send(
  producer: KafkaSender,
  record: ProducerRecord,
  hop?: MessagingOptions,
): Promise<RecordMetadata[]> {
  if (record === null || typeof record !== 'object' || !Array.isArray(record.messages)) {
    throw new TypeError(
      'hopscope/kafka: send(producer, record) needs a record { topic, messages: [] }',
    );
  }
  requireName(record.topic, 'send(producer, record)', 'record.topic');
  const publication = beginPublish(
    {
      system: 'kafka',
      destination: record.topic,
      operationName: 'send',
      attributes: { [ATTR_MESSAGING_BATCH_MESSAGE_COUNT]: record.messages.length },
    },
    hop,
  );
  const messages = record.messages.map((m) => withKafkaHeaders(m, publication, hop));
  return publishWith(publication, () => producer.send({ ...record, messages }));
}

/**
 * `producer.sendBatch({ topicMessages })` with one PRODUCER span per topic, each topic's
 * messages carrying its span's context; the spans end when the brokers acknowledge.
 */
export async function sendBatch(
  producer: Pick<Producer, 'sendBatch'>,
  batch: ProducerBatch,
  hop?: MessagingOptions,
): Promise<RecordMetadata[]> {
  if (batch === null || typeof batch !== 'object' || !Array.isArray(batch.topicMessages)) {
    throw new TypeError(
      'hopscope/kafka: sendBatch(producer, batch) needs a batch { topicMessages: [{ topic, messages }] }',
    );
  }
  const publications: Publication[] = [];
  for (const tm of batch.topicMessages)
    requireName(tm?.topic, 'sendBatch(producer, batch)', 'each topicMessages[].topic');
  const topicMessages = batch.topicMessages.map((tm) => {
    const publication = beginPublish(
      {
        system: 'kafka',
        destination: tm.topic,
        operationName: 'send',
        attributes: { [ATTR_MESSAGING_BATCH_MESSAGE_COUNT]: tm.messages.length },
      },
      hop,
    );
    publications.push(publication);
    return { ...tm, messages: tm.messages.map((m) => withKafkaHeaders(m, publication, hop)) };
  });
  try {
    const result = await producer.sendBatch({ ...batch, topicMessages });
    for (const p of publications) p.end();
    return result;
  } catch (error) {
    for (const p of publications) p.end(error);
    throw error;
  }
}

function describe(message: KafkaMessage, partition: number, groupId?: string): ReceivedMessage {
  const attributes: Record<string, string | number> = {
    [ATTR_MESSAGING_DESTINATION_PARTITION_ID]: String(partition),
    [ATTR_MESSAGING_KAFKA_OFFSET]: Number(message.offset),
    [ATTR_MESSAGING_MESSAGE_BODY_SIZE]: message.value?.byteLength ?? 0,
  };
  if (message.key !== null && message.key !== undefined) {
    attributes[ATTR_MESSAGING_KAFKA_MESSAGE_KEY] = message.key.toString('utf8').slice(0, 256);
  }
  if (groupId !== undefined) attributes[ATTR_MESSAGING_CONSUMER_GROUP_NAME] = groupId;
  return {
    headers: message.headers as ReceivedMessage['headers'],
    body: message.value ?? undefined,
    attributes,
  };
}

/** Processes one consumed message in a CONSUMER span continuing its producer's trace. */
export function processKafkaMessage<T>(
  topic: string,
  partition: number,
  message: KafkaMessage,
  handler: (ctx: Context, span: Span) => T,
  hop?: KafkaOptions,
): T {
  return processMessage(
    { system: 'kafka', destination: topic, operationName: 'process' },
    describe(message, partition, hop?.groupId),
    handler,
    hop,
  );
}

/**
 * An `eachMessage` for `consumer.run()`: each message runs in a CONSUMER span with its request
 * ID, trace and chain active. Errors are recorded and logged, then rethrown so kafkajs retries
 * as it would without Hopscope.
 */
export function tracedEachMessage(
  handler: (payload: EachMessagePayload, ctx: Context, span: Span) => Promise<void> | void,
  hop?: KafkaOptions,
): (payload: EachMessagePayload) => Promise<void> {
  return async (payload) => {
    const fields = { topic: payload.topic, partition: payload.partition };
    await processKafkaMessage(
      payload.topic,
      payload.partition,
      payload.message,
      logFailures((ctx: Context, span: Span) => handler(payload, ctx, span), fields, hop),
      hop,
    );
  };
}

/**
 * An `eachBatch` for `consumer.run()`: one CONSUMER span for the batch with a link to every
 * message's producer context (seed 002 batch tracing); each entry has the message's own context.
 */
export function tracedEachBatch(
  handler: (
    payload: EachBatchPayload,
    entries: BatchEntry<KafkaMessage>[],
    span: Span,
  ) => Promise<void> | void,
  hop?: KafkaOptions,
): (payload: EachBatchPayload) => Promise<void> {
  return async (payload) => {
    await processKafkaBatch(payload.batch, (entries, span) => handler(payload, entries, span), hop);
  };
}

/** The batch span on its own, for code that receives kafkajs `Batch` objects elsewhere. */
export function processKafkaBatch<T>(
  batch: Pick<Batch, 'topic' | 'partition' | 'messages'>,
  handler: (entries: BatchEntry<KafkaMessage>[], span: Span) => T,
  hop?: KafkaOptions,
): T {
  return processBatch(
    { system: 'kafka', destination: batch.topic, operationName: 'process' },
    batch.messages,
    (m) => describe(m, batch.partition, hop?.groupId),
    handler,
    hop,
  );
}
