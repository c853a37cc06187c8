import {
  type Attributes,
  type Context,
  context,
  type Link,
  type Span,
  SpanKind,
  trace,
} from '@opentelemetry/api';
import {
  generateRequestId,
  getRequestId,
  getServicesEncountered,
  setRequestId,
  setServicesEncountered,
} from '../context/index.js';
import { type HopscopeLogger, logger } from '../log/index.js';
import { type Carrier, carrierGetter } from '../propagation/carrier.js';
import {
  activeContext,
  extractHop,
  type HopOptions,
  hopService,
  hopTracer,
  injectHop,
  PRODUCER_SERVICE_FIELD,
  SERVICES_ENCOUNTERED_FIELD,
} from '../propagation/hop.js';
import { isValidServiceName } from '../propagation/services.js';
import { recordError } from '../trace/with-span.js';
import { readPayloadTrace } from './payload-fields.js';
import {
  ATTR_MESSAGING_BATCH_MESSAGE_COUNT,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  ATTR_PRODUCER_SERVICE,
  ATTR_SERVICES_ENCOUNTERED,
  type MessagingSystem,
} from './semconv.js';

export interface MessagingOptions extends HopOptions {
  /**
   * Also carry `trace_id`, `traceparent`, `request_id` and `services_encountered` inside JSON
   * payloads (seed 002), for consumers that cannot read headers. Producers add them to JSON
   * object bodies; consumers fall back to them when the headers carry no trace. Default false.
   */
  payloadFields?: boolean;
  /** Where consumer helpers log `message_processing_failed`. Default: `logger`. */
  logger?: HopscopeLogger;
}

/** A started producer operation: the headers to attach and the span to end once sent. */
export interface Publication {
  span: Span;
  /** The producer span's context: what the message carries. */
  context: Context;
  /** `traceparent`, `x-request-id`, `services_encountered`, `producer_service`, … */
  headers: Record<string, string>;
  /** Ends the span, recording `error` when given. Safe to call more than once. */
  end(error?: unknown): void;
}

export interface PublishInfo {
  system: MessagingSystem;
  destination: string;
  /** `messaging.operation.name`, e.g. `publish`, `send`, `request`. */
  operationName: string;
  attributes?: Attributes;
  /** Default: the active context. */
  parent?: Context;
}

/**
 * Starts a PRODUCER span (`send <destination>`) under the active context and builds the message
 * headers from it. Never throws: when instrumentation fails the headers are empty.
 */
export function beginPublish(info: PublishInfo, options?: MessagingOptions): Publication {
  const parent = info.parent ?? activeContext();
  const service = hopService(options);
  const span = hopTracer(options).startSpan(
    `send ${info.destination}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        ...info.attributes,
        [ATTR_MESSAGING_SYSTEM]: info.system,
        [ATTR_MESSAGING_DESTINATION_NAME]: info.destination,
        [ATTR_MESSAGING_OPERATION_TYPE]: 'send',
        [ATTR_MESSAGING_OPERATION_NAME]: info.operationName,
        ...requestIdAttribute(parent),
      },
    },
    parent,
  );
  const ctx = trace.setSpan(parent, span);
  const headers: Record<string, string> = {};
  injectHop(headers, ctx, service, SERVICES_ENCOUNTERED_FIELD);
  if (service !== undefined) headers[PRODUCER_SERVICE_FIELD] = service;
  return { span, context: ctx, headers, end: ender(span) };
}

/** Runs `send` inside a publication and ends its span when it settles. */
export function publishWith<T>(publication: Publication, send: () => T): T {
  return runInSpan(publication.end, publication.context, send);
}

/** One received message as a transport helper describes it. */
export interface ReceivedMessage {
  /** The message headers in any carrier shape (NATS headers converted to an object, …). */
  headers: Carrier | undefined;
  /** The body bytes, read for payload fields when `payloadFields` is on. */
  body?: Uint8Array | string;
  attributes?: Attributes;
}

export interface ConsumeInfo {
  system: MessagingSystem;
  destination: string;
  operationName: string;
}

/**
 * The context a message continues: its producer's span as remote parent, its request ID (or a
 * fresh one), and the chain with this service appended. Headers win over payload fields.
 */
export function messageContext(message: ReceivedMessage, options?: MessagingOptions): Context {
  const service = hopService(options);
  let carrier = message.headers;
  if (options?.payloadFields === true && !carrierHasTrace(carrier)) {
    const fromPayload = readPayloadTrace(message.body);
    if (fromPayload !== undefined) {
      carrier = { ...headersAsObject(carrier), ...fromPayload } as Carrier;
    }
  }
  return extractHop(carrier, service);
}

/**
 * Processes one message in a CONSUMER span (`process <destination>`) whose parent is the
 * producer's context; `handler` runs with the message's request ID, trace and chain active. The
 * span ends when the handler settles; its error is recorded and rethrown.
 */
export function processMessage<T>(
  info: ConsumeInfo,
  message: ReceivedMessage,
  handler: (ctx: Context, span: Span) => T,
  options?: MessagingOptions,
): T {
  const parent = messageContext(message, options);
  const producer = producerService(message.headers);
  const span = hopTracer(options).startSpan(
    `process ${info.destination}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        ...message.attributes,
        ...consumeAttributes(info, 'process'),
        ...requestIdAttribute(parent),
        [ATTR_SERVICES_ENCOUNTERED]: [...getServicesEncountered(parent)],
        ...(producer === undefined ? {} : { [ATTR_PRODUCER_SERVICE]: producer }),
      },
    },
    parent,
  );
  const ctx = trace.setSpan(parent, span);
  return runInSpan(ender(span), ctx, () => handler(ctx, span));
}

/** One message of a batch, with the context its own processing should run in. */
export interface BatchEntry<M> {
  message: M;
  /** The message's producer trace, request ID and chain (no span of its own). */
  context: Context;
}

/**
 * Seed 002's batch operation tracing: one CONSUMER span for the whole batch, with a span link to
 * every message's producer context. The batch span starts a trace of its own and gets its own
 * request ID; each entry's `context` lets the handler log or fan out per message.
 */
export function processBatch<M, T>(
  info: ConsumeInfo,
  messages: readonly M[],
  describe: (message: M) => ReceivedMessage,
  handler: (entries: BatchEntry<M>[], span: Span) => T,
  options?: MessagingOptions,
): T {
  const entries: BatchEntry<M>[] = [];
  const links: Link[] = [];
  const requestIds = new Set<string>();
  for (const message of messages) {
    let ctx: Context;
    try {
      ctx = messageContext(describe(message), options);
    } catch {
      ctx = extractHop(undefined, hopService(options));
    }
    entries.push({ message, context: ctx });
    const parent = trace.getSpanContext(ctx);
    const requestId = getRequestId(ctx);
    if (requestId !== undefined) requestIds.add(requestId);
    if (parent !== undefined) {
      links.push({ context: parent, attributes: requestId ? { 'request.id': requestId } : {} });
    }
  }
  const service = hopService(options);
  let root = setRequestId(activeRoot(), generateRequestId());
  root = setServicesEncountered(root, service === undefined ? [] : [service]);
  const span = hopTracer(options).startSpan(
    `process ${info.destination}`,
    {
      kind: SpanKind.CONSUMER,
      root: true,
      links,
      attributes: {
        ...consumeAttributes(info, 'process'),
        [ATTR_MESSAGING_BATCH_MESSAGE_COUNT]: messages.length,
        ...requestIdAttribute(root),
        // bounded: a batch of 10,000 must not make a 10,000-entry attribute
        'messaging.batch.request_ids': [...requestIds].slice(0, 128),
      },
    },
    root,
  );
  const ctx = trace.setSpan(root, span);
  return runInSpan(ender(span), ctx, () => handler(entries, span));
}

function activeRoot(): Context {
  return trace.deleteSpan(activeContext());
}

function consumeAttributes(info: ConsumeInfo, type: 'process' | 'receive'): Attributes {
  return {
    [ATTR_MESSAGING_SYSTEM]: info.system,
    [ATTR_MESSAGING_DESTINATION_NAME]: info.destination,
    [ATTR_MESSAGING_OPERATION_TYPE]: type,
    [ATTR_MESSAGING_OPERATION_NAME]: info.operationName,
  };
}

function requestIdAttribute(ctx: Context): Attributes {
  const id = getRequestId(ctx);
  return id === undefined ? {} : { 'request.id': id };
}

function producerService(headers: Carrier | undefined): string | undefined {
  if (headers === undefined) return undefined;
  try {
    const value = carrierGetter.get(headers, PRODUCER_SERVICE_FIELD);
    return isValidServiceName(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Any carrier as a plain object (lower-case keys), so it can be merged with payload fields. */
export function headersAsObject(carrier: Carrier | undefined): Record<string, unknown> {
  if (carrier === undefined || carrier === null) return {};
  try {
    if (carrier instanceof Map) return Object.fromEntries(carrier);
    const maybe = carrier as { keys?: unknown; get?: unknown };
    if (typeof maybe.get === 'function' && typeof maybe.keys === 'function') {
      const h = carrier as { keys(): Iterable<string>; get(k: string): unknown };
      const out: Record<string, unknown> = {};
      for (const k of h.keys()) out[k.toLowerCase()] = h.get(k);
      return out;
    }
    return { ...(carrier as Record<string, unknown>) };
  } catch {
    return {};
  }
}

function carrierHasTrace(carrier: Carrier | undefined): boolean {
  if (carrier === undefined) return false;
  try {
    return carrierGetter.get(carrier, 'traceparent') !== undefined;
  } catch {
    return false;
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof (v as PromiseLike<unknown> | undefined)?.then === 'function';
}

export function ender(span: Span): (error?: unknown) => void {
  let ended = false;
  return (error) => {
    if (ended) return;
    ended = true;
    if (error !== undefined) recordError(span, error);
    span.end();
  };
}

/** Runs `fn` in `ctx` and calls `end` (with the error, if any) when it returns or settles. */
export function runInSpan<T>(end: (error?: unknown) => void, ctx: Context, fn: () => T): T {
  let result: T;
  try {
    result = context.with(ctx, fn);
  } catch (error) {
    end(error);
    throw error;
  }
  if (isThenable(result)) {
    return result.then(
      (value) => {
        end();
        return value;
      },
      (error: unknown) => {
        end(error);
        throw error;
      },
    ) as T;
  }
  end();
  return result;
}

/**
 * `handler`, logging `message_processing_failed` (with `fields`) when it throws or rejects, in
 * the message's own context (request ID, trace) since it runs inside it; the error is rethrown.
 */
export function logFailures<A extends unknown[], T>(
  handler: (...args: A) => T,
  fields: Record<string, unknown>,
  options: MessagingOptions | undefined,
): (...args: A) => T {
  const log = (error: unknown) => {
    try {
      (options?.logger ?? logger).error('message_processing_failed', { ...fields, error });
    } catch {
      // logging must not turn a handled failure into a crash
    }
  };
  return (...args: A): T => {
    try {
      const result = handler(...args);
      if (isThenable(result)) {
        const ctx = context.active();
        return result.then(undefined, (error: unknown) => {
          context.with(ctx, () => log(error));
          throw error;
        }) as T;
      }
      return result;
    } catch (error) {
      log(error);
      throw error;
    }
  };
}

/**
 * For callback-style consumers (`subscribe`, `consume`): a failure (already recorded on the span
 * and logged by `logFailures`) never reaches the client library as a throw or a rejection.
 */
export function swallow(run: () => unknown): void {
  try {
    const result = run();
    if (isThenable(result)) result.then(undefined, () => undefined);
  } catch {
    // recorded and logged already
  }
}

/** Entry-point validation: a precise TypeError instead of a broker library's obscure one. */
export function requireName(value: unknown, call: string, what: string): asserts value is string {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(
      `hopscope: ${call} needs ${what} as a non-empty string, got ${value === '' ? 'an empty string' : typeof value}`,
    );
  }
}
