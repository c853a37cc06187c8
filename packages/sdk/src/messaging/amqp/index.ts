import type { Context, Span } from '@opentelemetry/api';
import type { Channel, ConfirmChannel, ConsumeMessage, Options, Replies } from 'amqplib';
import { logger } from '../../log/index.js';
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
  swallow,
} from '../core.js';
import { addPayloadFields, payloadFieldsFrom } from '../payload-fields.js';
import {
  ATTR_MESSAGING_MESSAGE_BODY_SIZE,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_RABBITMQ_DELIVERY_TAG,
  ATTR_MESSAGING_RABBITMQ_ROUTING_KEY,
} from '../semconv.js';

export type { BatchEntry, MessagingOptions } from '../core.js';

/** What producer helpers accept: bytes, or an object sent as JSON. */
export type AmqpBody = Buffer | Uint8Array | string | Record<string, unknown>;

type AnyChannel = Channel | ConfirmChannel;

function encode(body: AmqpBody, publication: Publication, hop?: MessagingOptions): Buffer {
  let out: unknown = body;
  if (hop?.payloadFields === true)
    out = addPayloadFields(body, payloadFieldsFrom(publication.headers));
  else if (typeof body === 'object' && !(body instanceof Uint8Array)) out = JSON.stringify(body);
  if (Buffer.isBuffer(out)) return out;
  if (out instanceof Uint8Array) return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  return Buffer.from(String(out));
}

function options(
  given: Options.Publish | undefined,
  publication: Publication,
  body: AmqpBody,
): Options.Publish {
  const out: Options.Publish = { ...given, headers: { ...given?.headers, ...publication.headers } };
  if (typeof body === 'object' && !(body instanceof Uint8Array) && out.contentType === undefined) {
    out.contentType = 'application/json';
  }
  return out;
}

/** The destination as semantic conventions name it: the exchange, or the queue for the default one. */
function destinationOf(exchange: string, routingKey: string): string {
  return exchange === '' ? routingKey : exchange;
}

/**
 * `channel.publish` with Hopscope headers (`traceparent`, `x-request-id`, `services_encountered`,
 * `producer_service`, …) and a PRODUCER span, ended once handed to amqplib; returns what
 * `channel.publish` returns. Use `publishConfirmed` to end it when the broker confirms.
 */
export function publish(
  channel: AnyChannel,
  exchange: string,
  routingKey: string,
  body: AmqpBody,
  publishOptions?: Options.Publish,
  hop?: MessagingOptions,
): boolean {
  const publication = begin(exchange, routingKey, publishOptions, hop);
  const content = encode(body, publication, hop);
  publication.span.setAttribute(ATTR_MESSAGING_MESSAGE_BODY_SIZE, content.byteLength);
  return publishWith(publication, () =>
    channel.publish(exchange, routingKey, content, options(publishOptions, publication, body)),
  );
}

/** `publish` on a ConfirmChannel, resolved (and the span ended) when the broker confirms. */
export function publishConfirmed(
  channel: ConfirmChannel,
  exchange: string,
  routingKey: string,
  body: AmqpBody,
  publishOptions?: Options.Publish,
  hop?: MessagingOptions,
): Promise<void> {
  const publication = begin(exchange, routingKey, publishOptions, hop);
  const content = encode(body, publication, hop);
  return publishWith(
    publication,
    () =>
      new Promise<void>((resolve, reject) => {
        channel.publish(
          exchange,
          routingKey,
          content,
          options(publishOptions, publication, body),
          (err) => (err ? reject(err) : resolve()),
        );
      }),
  );
}

/** `channel.sendToQueue` (the default exchange) with Hopscope headers and a PRODUCER span. */
export function sendToQueue(
  channel: AnyChannel,
  queue: string,
  body: AmqpBody,
  publishOptions?: Options.Publish,
  hop?: MessagingOptions,
): boolean {
  return publish(channel, '', queue, body, publishOptions, hop);
}

function begin(
  exchange: string,
  routingKey: string,
  publishOptions: Options.Publish | undefined,
  hop?: MessagingOptions,
): Publication {
  if (typeof exchange !== 'string') {
    throw new TypeError(
      `hopscope: publish needs the exchange as a string ('' for the default), got ${typeof exchange}`,
    );
  }
  requireName(routingKey, 'publish/sendToQueue', 'the routing key or queue');
  const attributes: Record<string, string> = { [ATTR_MESSAGING_RABBITMQ_ROUTING_KEY]: routingKey };
  if (publishOptions?.messageId !== undefined) {
    attributes[ATTR_MESSAGING_MESSAGE_ID] = String(publishOptions.messageId);
  }
  return beginPublish(
    {
      system: 'rabbitmq',
      destination: destinationOf(exchange, routingKey),
      operationName: 'publish',
      attributes,
    },
    hop,
  );
}

function describe(msg: ConsumeMessage): ReceivedMessage {
  const attributes: Record<string, string | number> = {
    [ATTR_MESSAGING_RABBITMQ_ROUTING_KEY]: msg.fields.routingKey,
    [ATTR_MESSAGING_RABBITMQ_DELIVERY_TAG]: msg.fields.deliveryTag,
    [ATTR_MESSAGING_MESSAGE_BODY_SIZE]: msg.content.byteLength,
  };
  if (msg.properties.messageId !== undefined) {
    attributes[ATTR_MESSAGING_MESSAGE_ID] = String(msg.properties.messageId);
  }
  return {
    headers: msg.properties.headers as Record<string, string> | undefined,
    body: msg.content,
    attributes,
  };
}

/**
 * Processes one delivered message in a CONSUMER span continuing its producer's trace, with its
 * request ID and chain active. `queue` names the destination (deliveries only know the exchange).
 */
export function processAmqpMessage<T>(
  msg: ConsumeMessage,
  queue: string,
  handler: (msg: ConsumeMessage, ctx: Context, span: Span) => T,
  hop?: MessagingOptions,
): T {
  return processMessage(
    { system: 'rabbitmq', destination: queue, operationName: 'process' },
    describe(msg),
    (ctx, span) => handler(msg, ctx, span),
    hop,
  );
}

/**
 * `channel.consume` whose callback processes each delivery with `processAmqpMessage`. A failing
 * handler is recorded and logged (`message_processing_failed`), never thrown into amqplib;
 * acking stays the handler's job. A `null` delivery (consumer cancelled by the broker) is logged.
 */
export function consume(
  channel: AnyChannel,
  queue: string,
  handler: (msg: ConsumeMessage, ctx: Context, span: Span) => unknown,
  consumeOptions?: Options.Consume,
  hop?: MessagingOptions,
): Promise<Replies.Consume> {
  requireName(queue, 'consume(channel, queue, handler)', 'the queue');
  if (typeof handler !== 'function') {
    throw new TypeError('hopscope: consume(channel, queue, handler) needs a handler function');
  }
  return channel.consume(
    queue,
    (msg) => {
      if (msg === null) {
        (hop?.logger ?? logger).warn('consumer_cancelled', { queue });
        return;
      }
      swallow(() => processAmqpMessage(msg, queue, logFailures(handler, { queue }, hop), hop));
    },
    consumeOptions,
  );
}

/** One CONSUMER span for a batch of deliveries, linked to each message's producer context. */
export function processAmqpBatch<T>(
  msgs: readonly ConsumeMessage[],
  queue: string,
  handler: (entries: BatchEntry<ConsumeMessage>[], span: Span) => T,
  hop?: MessagingOptions,
): T {
  return processBatch(
    { system: 'rabbitmq', destination: queue, operationName: 'process' },
    msgs,
    describe,
    handler,
    hop,
  );
}
