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

/** The parts of undici's (v7) dispatch options and handler API used here, typed structurally. */
export interface UndiciDispatchOptions {
  origin?: string | URL;
  path: string;
  method: string;
  headers?: unknown;
  [key: string]: unknown;
}
export interface UndiciHandler {
  onRequestStart?(controller: unknown, context: unknown): void;
  onRequestUpgrade?(
    controller: unknown,
    statusCode: number,
    headers: unknown,
    socket: unknown,
  ): void;
  onResponseStart?(
    controller: unknown,
    statusCode: number,
    headers: unknown,
    statusMessage?: string,
  ): void;
  onResponseData?(controller: unknown, chunk: unknown): void;
  onResponseEnd?(controller: unknown, trailers: unknown): void;
  onResponseError?(controller: unknown, error: Error): void;
}
type Dispatch = (options: UndiciDispatchOptions, handler: UndiciHandler) => boolean;

export interface UndiciInterceptorOptions {
  tracer?: Tracer;
  propagator?: TextMapPropagator;
  /** Record the query string in `url.full` (off: query strings carry API keys). */
  recordQuery?: boolean;
}

/**
 * An undici (v7) interceptor: `new Agent().compose(hopscopeInterceptor())`, then every
 * `request`, `stream`, `pipeline` or `fetch` through that dispatcher propagates Hopscope's headers
 * and records a client span that ends when the response body has been fully received.
 */
export function hopscopeInterceptor(options: UndiciInterceptorOptions = {}) {
  return (dispatch: Dispatch): Dispatch =>
    (opts, handler) => {
      let span: Span;
      let traced: UndiciDispatchOptions;
      try {
        ({ span, traced } = start(opts, options));
      } catch {
        return dispatch(opts, handler);
      }
      let open = true;
      const finish = (error?: unknown) => {
        if (!open) return;
        open = false;
        if (error !== undefined) {
          const { message, type } = describeError(error);
          span.recordException(error instanceof Error ? error : { name: type, message });
          span.setAttribute(ATTR_ERROR_TYPE, type);
          span.setStatus({ code: SpanStatusCode.ERROR, message });
        }
        span.end();
      };
      return dispatch(traced, {
        onRequestStart: (controller, ctx) => handler.onRequestStart?.(controller, ctx),
        onRequestUpgrade: (controller, status, headers, socket) => {
          finish();
          handler.onRequestUpgrade?.(controller, status, headers, socket);
        },
        onResponseStart: (controller, status, headers, message) => {
          span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
          if (status >= 400) {
            span.setAttribute(ATTR_ERROR_TYPE, String(status));
            span.setStatus({ code: SpanStatusCode.ERROR });
          }
          handler.onResponseStart?.(controller, status, headers, message);
        },
        onResponseData: (controller, chunk) => handler.onResponseData?.(controller, chunk),
        onResponseEnd: (controller, trailers) => {
          finish();
          handler.onResponseEnd?.(controller, trailers);
        },
        onResponseError: (controller, error) => {
          finish(error);
          handler.onResponseError?.(controller, error);
        },
      });
    };
}

function start(
  opts: UndiciDispatchOptions,
  options: UndiciInterceptorOptions,
): { span: Span; traced: UndiciDispatchOptions } {
  const url = new URL(opts.path, opts.origin);
  const attributes: Attributes = {};
  const method = methodAttributes(opts.method, attributes);
  attributes[ATTR_URL_FULL] = `${url.protocol}//${url.host}${url.pathname}${
    options.recordQuery === true ? url.search : ''
  }`;
  attributes[ATTR_URL_SCHEME] = url.protocol.replace(/:$/, '');
  hostAttributes(url.host, url.protocol === 'https:' ? 443 : 80, attributes);
  const requestId = getRequestId();
  if (requestId !== undefined) attributes['request.id'] = requestId;
  const span = (options.tracer ?? getTracer()).startSpan(method, {
    kind: SpanKind.CLIENT,
    attributes,
  });
  const headers = headerRecord(opts.headers);
  (options.propagator ?? activePropagator()).inject(
    trace.setSpan(context.active(), span),
    headers,
    carrierSetter,
  );
  return { span, traced: { ...opts, headers } };
}

/** undici takes headers as a record, a flat `[k, v, k, v]` array or an iterable of pairs. */
function headerRecord(headers: unknown): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const add = (k: unknown, v: unknown) => {
    const key = String(k);
    const value = Array.isArray(v) ? v.map(String) : String(v);
    const prev = out[key];
    out[key] = prev === undefined ? value : [...[prev].flat(), ...[value].flat()];
  };
  if (headers === undefined || headers === null) return out;
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const [k, v] of headers as unknown[][]) add(k, v);
    } else {
      for (let i = 0; i + 1 < headers.length; i += 2) add(headers[i], headers[i + 1]);
    }
  } else if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const [k, v] of headers as Iterable<[unknown, unknown]>) add(k, v);
  } else {
    for (const [k, v] of Object.entries(headers as Record<string, unknown>)) {
      if (v !== undefined) add(k, v);
    }
  }
  return out;
}
