import { finished, Readable } from 'node:stream';
import {
  type Attributes,
  type Context,
  context,
  type Span,
  type SpanOptions,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { getTracer } from './tracer.js';

/** Records `error` on `span` as OpenTelemetry asks: an exception event and status ERROR. */
export function recordError(span: Span, error: unknown): void {
  try {
    if (error instanceof Error) {
      span.recordException(error);
      span.setAttribute('error.type', error.name || 'Error');
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    } else {
      span.recordException(String(error));
      span.setAttribute('error.type', typeof error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
    }
  } catch {
    // recording must never replace the user's error with ours
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

function isNodeReadable(value: unknown): value is Readable {
  return value instanceof Readable;
}

function isWebReadable(value: unknown): value is ReadableStream {
  return typeof ReadableStream !== 'undefined' && value instanceof ReadableStream;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
  );
}

/** Ends `span` once, recording `error` when given. */
function ender(span: Span): (error?: unknown) => void {
  let ended = false;
  return (error?: unknown) => {
    if (ended) return;
    ended = true;
    if (error !== undefined) recordError(span, error);
    span.end();
  };
}

/**
 * An iterator whose steps run in the span's context and whose end (done, `return()`, or an
 * error) ends the span; the wrapped iterator's own behaviour is otherwise unchanged.
 */
function traceIterator<T>(
  source: AsyncIterator<T>,
  ctx: Context,
  end: (error?: unknown) => void,
): AsyncIterableIterator<T> {
  const step = async (
    call: () => Promise<IteratorResult<T>> | undefined,
  ): Promise<IteratorResult<T>> => {
    try {
      const result = await context.with(ctx, call);
      if (result === undefined || result.done) end();
      return result ?? { done: true, value: undefined };
    } catch (error) {
      end(error);
      throw error;
    }
  };
  return {
    next: (...args: [] | [unknown]) => step(() => source.next(...args)),
    return: (value?: unknown) =>
      step(() =>
        typeof source.return === 'function'
          ? source.return(value)
          : Promise.resolve({ done: true, value } as IteratorResult<T>),
      ),
    throw: (error?: unknown) =>
      step(() => {
        if (typeof source.throw === 'function') return source.throw(error);
        throw error;
      }),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/**
 * Keeps the span open while a returned stream or iterator is consumed. Anything else ends the
 * span now. Returns the value the caller should see (the same object for Node streams).
 */
function settle<T>(value: T, span: Span, ctx: Context): T {
  const end = ender(span);
  if (isNodeReadable(value)) {
    finished(value, (error) => end(error ?? undefined));
    return value;
  }
  if (isWebReadable(value)) {
    const reader = value.getReader();
    return new ReadableStream({
      async pull(controller) {
        try {
          const { done, value: chunk } = await reader.read();
          if (done) {
            controller.close();
            end();
          } else {
            controller.enqueue(chunk);
          }
        } catch (error) {
          end(error);
          controller.error(error);
        }
      },
      async cancel(reason) {
        end();
        await reader.cancel(reason);
      },
    }) as T;
  }
  if (isAsyncIterable(value)) {
    const source = value as AsyncIterable<unknown> & Partial<AsyncIterator<unknown>>;
    if (typeof source.next === 'function') {
      // an iterator such as an async generator object: wrap its steps
      return traceIterator(source as AsyncIterator<unknown>, ctx, end) as T;
    }
    // an iterable with other members (an SDK's stream object): keep them, trace the iteration
    return new Proxy(source, {
      get(target, key, receiver) {
        if (key === Symbol.asyncIterator) {
          return () =>
            traceIterator(
              context.with(ctx, () => target[Symbol.asyncIterator]()),
              ctx,
              end,
            );
        }
        const member = Reflect.get(target, key, receiver);
        return typeof member === 'function' ? member.bind(target) : member;
      },
    }) as T;
  }
  end();
  return value;
}

export type SpanFn<T> = (span: Span) => T;

/**
 * Runs `fn` inside a new active span and ends it when `fn` finishes: on return for sync
 * functions, on settlement for promises, and when a returned stream or async iterator is
 * exhausted, closed or fails. Errors are recorded (status ERROR) and rethrown unchanged.
 */
export function withSpan<T>(name: string, fn: SpanFn<T>): T;
export function withSpan<T>(
  name: string,
  attributes: Attributes | SpanOptions | undefined,
  fn: SpanFn<T>,
): T;
export function withSpan<T>(
  name: string,
  attributesOrFn: Attributes | SpanOptions | undefined | SpanFn<T>,
  maybeFn?: SpanFn<T>,
): T {
  const fn = typeof attributesOrFn === 'function' ? attributesOrFn : maybeFn;
  if (typeof name !== 'string' || name === '') {
    throw new TypeError('hopscope: withSpan(name, [attributes], fn) needs a non-empty span name');
  }
  if (typeof fn !== 'function') {
    throw new TypeError(`hopscope: withSpan("${name}", [attributes], fn) needs a function`);
  }
  const options = spanOptions(typeof attributesOrFn === 'function' ? undefined : attributesOrFn);
  const span = getTracer().startSpan(name, options);
  const ctx = trace.setSpan(context.active(), span);
  let result: T;
  try {
    result = context.with(ctx, fn, undefined, span);
  } catch (error) {
    recordError(span, error);
    span.end();
    throw error;
  }
  if (isThenable(result)) {
    return Promise.resolve(result).then(
      (value) => settle(value, span, ctx),
      (error: unknown) => {
        recordError(span, error);
        span.end();
        throw error;
      },
    ) as T;
  }
  return settle(result, span, ctx);
}

const SPAN_OPTION_CHECKS: Record<string, (value: unknown) => boolean> = {
  attributes: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  kind: (v) => typeof v === 'number',
  links: (v) => Array.isArray(v),
  root: (v) => typeof v === 'boolean',
  startTime: (v) => typeof v === 'number' || v instanceof Date || Array.isArray(v),
};

/**
 * `withSpan` takes plain attributes or full SpanOptions. It is SpanOptions only when every key
 * is a SpanOptions key holding that option's type (so an attribute named `kind` with a string
 * value stays an attribute).
 */
function spanOptions(value: Attributes | SpanOptions | undefined): SpanOptions | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError('hopscope: withSpan attributes must be an object');
  }
  const entries = Object.entries(value);
  const isOptions =
    entries.length > 0 && entries.every(([k, v]) => SPAN_OPTION_CHECKS[k]?.(v) === true);
  return isOptions ? (value as SpanOptions) : { attributes: value as Attributes };
}
