import type { JetStreamClient, JetStreamPublishOptions, JsMsg, PubAck } from '@nats-io/jetstream';
import {
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  headers as natsHeaders,
  type Payload,
  type PublishOptions,
  type RequestOptions,
  type Subscription,
  type SubscriptionOptions,
} from '@nats-io/transport-node';
import type { Context, Span } from '@opentelemetry/api';
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
import { ATTR_MESSAGING_MESSAGE_BODY_SIZE, ATTR_MESSAGING_MESSAGE_ID } from '../semconv.js';

export type { BatchEntry, MessagingOptions } from '../core.js';

/** What a producer helper accepts as a body: NATS payloads, or an object sent as JSON. */
export type NatsBody = Payload | Record<string, unknown>;

/** A message handler: runs with the message's request ID, trace and chain active. */
export type NatsHandler<M> = (msg: M, ctx: Context, span: Span) => unknown;

function withHeaders(existing: MsgHdrs | undefined, publication: Publication): MsgHdrs {
  const h = existing ?? natsHeaders();
  for (const [k, v] of Object.entries(publication.headers)) h.set(k, v);
  return h;
}

function encodeBody(
  data: NatsBody | undefined,
  publication: Publication,
  options?: MessagingOptions,
): Payload | undefined {
  if (data === undefined) return undefined;
  if (options?.payloadFields === true) {
    return addPayloadFields(data, payloadFieldsFrom(publication.headers)) as Payload;
  }
  if (typeof data === 'string' || data instanceof Uint8Array) return data;
  return JSON.stringify(data);
}

function bodySize(data: Payload | undefined): number {
  if (data === undefined) return 0;
  return typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
}

/** NATS headers as a plain carrier (NATS keys are case-sensitive; ours are matched loosely). */
function carrierOf(h: MsgHdrs | undefined): Record<string, string> | undefined {
  if (h === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const k of h.keys()) out[k.toLowerCase()] = h.get(k);
  return out;
}

function describe(msg: Msg | JsMsg): ReceivedMessage {
  const attributes: Record<string, string | number> = {
    [ATTR_MESSAGING_MESSAGE_BODY_SIZE]: msg.data.byteLength,
  };
  const seq = (msg as JsMsg).seq;
  if (typeof seq === 'number') attributes[ATTR_MESSAGING_MESSAGE_ID] = String(seq);
  return { headers: carrierOf(msg.headers), body: msg.data, attributes };
}

/**
 * `nc.publish` with Hopscope headers (`traceparent`, `x-request-id`, `services_encountered`,
 * `producer_service`, …) and a PRODUCER span. Objects are sent as JSON.
 */
export function publish(
  nc: NatsConnection,
  subject: string,
  data?: NatsBody,
  options: PublishOptions = {},
  hop?: MessagingOptions,
): void {
  requireName(subject, 'publish(nc, subject, data)', 'the subject');
  const publication = beginPublish(
    { system: 'nats', destination: subject, operationName: 'publish' },
    hop,
  );
  const payload = encodeBody(data, publication, hop);
  publication.span.setAttribute(ATTR_MESSAGING_MESSAGE_BODY_SIZE, bodySize(payload));
  publishWith(publication, () =>
    nc.publish(subject, payload, {
      ...options,
      headers: withHeaders(options.headers, publication),
    }),
  );
}

/** `nc.request` with Hopscope headers; the span lasts until the reply arrives. */
export function request(
  nc: NatsConnection,
  subject: string,
  data: NatsBody | undefined,
  options: RequestOptions,
  hop?: MessagingOptions,
): Promise<Msg> {
  requireName(subject, 'request(nc, subject, data, options)', 'the subject');
  const publication = beginPublish(
    { system: 'nats', destination: subject, operationName: 'request' },
    hop,
  );
  const payload = encodeBody(data, publication, hop);
  return publishWith(publication, () =>
    nc.request(subject, payload, {
      ...options,
      headers: withHeaders(options.headers, publication),
    }),
  );
}

/** `js.publish` (JetStream) with Hopscope headers; the span ends when the server acknowledges. */
export function jetStreamPublish(
  js: JetStreamClient,
  subject: string,
  data?: NatsBody,
  options: Partial<JetStreamPublishOptions> = {},
  hop?: MessagingOptions,
): Promise<PubAck> {
  requireName(subject, 'jetStreamPublish(js, subject, data)', 'the subject');
  const publication = beginPublish(
    { system: 'nats', destination: subject, operationName: 'publish' },
    hop,
  );
  const payload = encodeBody(data, publication, hop);
  return publishWith(publication, async () => {
    const ack = await js.publish(subject, payload, {
      ...options,
      headers: withHeaders(options.headers, publication),
    });
    publication.span.setAttribute(ATTR_MESSAGING_MESSAGE_ID, String(ack.seq));
    return ack;
  });
}

/**
 * Processes one NATS or JetStream message in a CONSUMER span (`process <subject>`) continuing
 * its producer's trace, with its request ID and the chain (this service appended) active.
 */
export function processMsg<M extends Msg | JsMsg, T>(
  msg: M,
  handler: (msg: M, ctx: Context, span: Span) => T,
  hop?: MessagingOptions,
): T {
  return processMessage(
    { system: 'nats', destination: msg.subject, operationName: 'process' },
    describe(msg),
    (ctx, span) => handler(msg, ctx, span),
    hop,
  );
}

/**
 * `nc.subscribe` whose callback processes each message with `processMsg`. A failing handler is
 * recorded on its span and logged (`message_processing_failed`), never thrown into the client.
 */
export function subscribe(
  nc: NatsConnection,
  subject: string,
  handler: NatsHandler<Msg>,
  options: Omit<SubscriptionOptions, 'callback'> = {},
  hop?: MessagingOptions,
): Subscription {
  requireName(subject, 'subscribe(nc, subject, handler)', 'the subject');
  if (typeof handler !== 'function') {
    throw new TypeError('hopscope: subscribe(nc, subject, handler) needs a handler function');
  }
  return nc.subscribe(subject, {
    ...options,
    callback: (error, msg) => {
      if (error !== null) {
        (hop?.logger ?? logger).error('subscription_failed', { subject, error });
        return;
      }
      swallow(() => processMsg(msg, logFailures(handler, { subject }, hop), hop));
    },
  });
}

/**
 * One CONSUMER span for a batch of JetStream messages (from `consumer.fetch()` or collected from
 * `consume()`), linked to every message's producer context; each entry has its own context.
 */
export function processJsBatch<T>(
  msgs: readonly JsMsg[],
  handler: (entries: BatchEntry<JsMsg>[], span: Span) => T,
  hop?: MessagingOptions,
): T {
  const destination = msgs[0]?.subject ?? 'batch';
  return processBatch(
    { system: 'nats', destination, operationName: 'process' },
    msgs,
    describe,
    handler,
    hop,
  );
}
