import {
  type Attributes,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapPropagator,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_URL_FULL,
  ATTR_URL_SCHEME,
} from '@opentelemetry/semantic-conventions';
import { getRequestId } from '../../context/index.js';
import { carrierSetter } from '../../propagation/carrier.js';
import { activePropagator } from '../../propagation/inject-extract.js';
import { getTracer } from '../../trace/index.js';
import { hostAttributes, methodAttributes } from '../semconv.js';
import { describeError } from '../server-core.js';

type Fetch = typeof globalThis.fetch;

export interface TracedFetchOptions {
  /** The fetch to wrap: global fetch by default (read at each call), or undici's `fetch`. */
  fetch?: Fetch;
  /** Default: Hopscope's tracer from the global provider. */
  tracer?: Tracer;
  /** Default: the global propagator when registered (by `init()`), else Hopscope's. */
  propagator?: TextMapPropagator;
  /**
   * Record the query string in `url.full`. Off by default: query strings carry API keys (some LLM
   * providers take `?key=`).
   */
  recordQuery?: boolean;
}

/**
 * A `fetch` that propagates everything Hopscope carries (W3C trace context and baggage, the
 * request ID, `x-upstream-service`, …) and records a client span with HTTP semantic conventions.
 * The span ends when the response body has been read to the end, cancelled or has failed, so a
 * streamed response (SSE, a forwarded LLM stream) is timed in full.
 */
export function createTracedFetch(options: TracedFetchOptions = {}): Fetch {
  const traced = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const impl = options.fetch ?? globalThis.fetch;
    let started: { span: Span; headers: Headers } | undefined;
    try {
      started = startClientSpan(input, init, options);
    } catch {
      started = undefined; // e.g. a relative URL: let fetch report it as it always does
    }
    if (started === undefined) return impl(input, init);
    const { span, headers } = started;
    let response: Response;
    try {
      response = await context.with(trace.setSpan(context.active(), span), () =>
        impl(input, { ...init, headers }),
      );
    } catch (error) {
      endWithError(span, error);
      throw error;
    }
    try {
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.status);
      if (response.status >= 400) {
        // client spans count 4xx as errors too (semantic conventions)
        span.setAttribute(ATTR_ERROR_TYPE, String(response.status));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      return response.body === null ? endNow(span, response) : endWhenConsumed(span, response);
    } catch {
      span.end();
      return response;
    }
  };
  return traced as Fetch;
}

/** `fetch` with Hopscope propagation and client spans; see `createTracedFetch`. */
export const tracedFetch: Fetch = createTracedFetch();

function startClientSpan(
  input: string | URL | Request,
  init: RequestInit | undefined,
  options: TracedFetchOptions,
): { span: Span; headers: Headers } {
  const isRequest = typeof Request !== 'undefined' && input instanceof Request;
  const url = new URL(isRequest ? (input as Request).url : String(input));
  const attributes: Attributes = {};
  const method = methodAttributes(
    init?.method ?? (isRequest ? (input as Request).method : 'GET'),
    attributes,
  );
  attributes[ATTR_URL_FULL] = `${url.protocol}//${url.host}${url.pathname}${
    options.recordQuery === true ? url.search : ''
  }`;
  attributes[ATTR_URL_SCHEME] = url.protocol.replace(/:$/, '');
  hostAttributes(url.host, url.protocol === 'https:' ? 443 : 80, attributes);
  const requestId = getRequestId();
  if (requestId !== undefined) attributes['request.id'] = requestId;

  const tracer = options.tracer ?? getTracer();
  const span = tracer.startSpan(method, { kind: SpanKind.CLIENT, attributes });
  const headers = new Headers(
    init?.headers ?? (isRequest ? (input as Request).headers : undefined),
  );
  const propagator = options.propagator ?? activePropagator();
  propagator.inject(trace.setSpan(context.active(), span), headers, carrierSetter);
  return { span, headers };
}

function endWithError(span: Span, error: unknown): void {
  const { message, type } = describeError(error);
  span.recordException(error instanceof Error ? error : { name: type, message });
  span.setAttribute(ATTR_ERROR_TYPE, type);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
  span.end();
}

function endNow(span: Span, response: Response): Response {
  span.end();
  return response;
}

/**
 * Re-wraps the body so the span ends with the stream: on its last chunk, on cancel (the reader
 * went away: recorded as an event), or on a read error (recorded as the span's error).
 */
function endWhenConsumed(span: Span, response: Response): Response {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  let open = true;
  const close = (error?: unknown) => {
    if (!open) return;
    open = false;
    if (error === undefined) span.end();
    else endWithError(span, error);
  };
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            close();
            controller.close();
          } else {
            controller.enqueue(value);
          }
        } catch (error) {
          close(error);
          controller.error(error);
        }
      },
      cancel(reason) {
        if (open) span.addEvent('response_body_cancelled');
        close();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  let wrapped: Response;
  try {
    wrapped = new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  } catch {
    // a status Response cannot be built with (e.g. 101): hand back the original untouched
    reader.releaseLock();
    span.end();
    return response;
  }
  // what a rebuilt Response cannot take in its constructor
  Object.defineProperties(wrapped, {
    url: { value: response.url },
    redirected: { value: response.redirected },
    type: { value: response.type },
  });
  return wrapped;
}

export {
  hopscopeInterceptor,
  type UndiciDispatchOptions,
  type UndiciHandler,
  type UndiciInterceptorOptions,
} from './undici.js';
