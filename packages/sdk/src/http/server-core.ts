import {
  type Attributes,
  type Context,
  context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  type SpanOptions,
  SpanStatusCode,
  type TextMapPropagator,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_CLIENT_PORT,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import {
  ensureContextManager,
  generateRequestId,
  getRequestId,
  getUpstreamService,
} from '../context/index.js';
import { requestContext } from '../context/request-context.js';
import { logger as defaultLogger, type HopscopeLogger } from '../log/index.js';
import { type Carrier, carrierGetter, nodeHeadersGetter } from '../propagation/carrier.js';
import { activePropagator } from '../propagation/inject-extract.js';
import { getRequestIdRejection } from '../propagation/keys.js';
import { SDK_VERSION, TRACER_NAME } from '../trace/index.js';
import { ADOPT_ATTRIBUTES, leanTracer } from '../trace/lean-span.js';
import { cap, hostAttributes, methodAttributes, splitTarget } from './semconv.js';

export const ATTR_REQUEST_ID = 'request.id';
/** Why the caller's request ID was replaced; the raw value is never recorded. */
export const ATTR_REQUEST_ID_REJECTED = 'request.id.rejected';
export const ATTR_UPSTREAM_SERVICE = 'upstream.service';

export interface HttpServerOptions {
  /** Where `request_received` / `request_completed` / `request_failed` go. Default: `logger`. */
  logger?: HopscopeLogger;
  /** Default: Hopscope's tracer from the global provider (set up by `init()`). */
  tracer?: Tracer;
  /** Default: the global propagator when registered (by `init()`), else Hopscope's. */
  propagator?: TextMapPropagator;
  /** Write the request log lines. Default true. */
  logRequests?: boolean;
  /**
   * Level of `request_received`. Default `debug`: `request_completed` / `request_failed` carry
   * method, path, status and duration, so at `info` a request costs one line, not two.
   */
  receivedLevel?: 'debug' | 'info';
}

/** What an adapter knows about an incoming request before the app sees it. */
export interface ServerRequestInfo {
  method: string | undefined;
  /** The request target as received (`/path?query`). */
  target: string | undefined;
  headers: Carrier;
  /**
   * `headers` is node's `IncomingHttpHeaders`, whose keys are already lowercase: headers are then
   * read with one property lookup each instead of a case-insensitive scan.
   */
  lowercaseHeaders?: boolean;
  host?: string;
  scheme?: 'http' | 'https';
  clientAddress?: string;
  clientPort?: number;
  protocolVersion?: string;
  userAgent?: string;
}

/**
 * One request's server-side lifecycle, shared by every framework adapter: request ID (taken or
 * generated), continued trace, server span with HTTP semantic conventions, and the seed 000
 * FR-1 log lines. Every method is safe to call more than once and never throws.
 */
export class ServerRequest {
  readonly requestId: string;
  /** Run the app's handler in this context: request ID, span and baggage flow from it. */
  readonly context: Context;
  readonly span: Span;
  readonly method: string;
  readonly path: string;
  private readonly started = performance.now();
  private readonly log: HopscopeLogger | undefined;
  private route: string | undefined;
  private routeResolver: (() => string | undefined) | undefined;
  private error: unknown;
  private ended = false;

  constructor(info: ServerRequestInfo, options: HttpServerOptions = {}) {
    ensureContextManager();
    const propagator = options.propagator ?? activePropagator();
    let parent: Context;
    try {
      parent = propagator.extract(
        ROOT_CONTEXT,
        info.headers,
        info.lowercaseHeaders === true ? nodeHeadersGetter : carrierGetter,
      );
    } catch {
      parent = ROOT_CONTEXT;
    }
    const extracted = parent;
    let requestId = getRequestId(parent);
    if (requestId === undefined) {
      requestId = generateRequestId();
      parent = requestContext(extracted, requestId);
    }
    this.requestId = requestId;

    const attributes: Attributes = {};
    const method = methodAttributes(info.method, attributes);
    const { path } = splitTarget(info.target);
    this.method = (info.method ?? 'GET').slice(0, 32);
    this.path = path;
    attributes[ATTR_URL_PATH] = path;
    attributes[ATTR_URL_SCHEME] = info.scheme ?? 'http';
    hostAttributes(info.host, info.scheme === 'https' ? 443 : 80, attributes);
    if (info.clientAddress !== undefined) attributes[ATTR_CLIENT_ADDRESS] = info.clientAddress;
    if (info.clientPort !== undefined) attributes[ATTR_CLIENT_PORT] = info.clientPort;
    if (info.protocolVersion !== undefined) {
      attributes[ATTR_NETWORK_PROTOCOL_VERSION] = info.protocolVersion;
    }
    if (info.userAgent !== undefined) attributes[ATTR_USER_AGENT_ORIGINAL] = cap(info.userAgent);
    attributes[ATTR_REQUEST_ID] = requestId;
    const rejected = getRequestIdRejection(parent);
    if (rejected !== undefined) attributes[ATTR_REQUEST_ID_REJECTED] = rejected;
    const upstream = getUpstreamService(parent);
    if (upstream !== undefined) attributes[ATTR_UPSTREAM_SERVICE] = upstream;

    const tracer = options.tracer ?? defaultTracer();
    // the attributes object was built for this span: a LeanSpan keeps it rather than copying it
    const spanOptions: SpanOptions & { [ADOPT_ATTRIBUTES]?: boolean } = {
      kind: SpanKind.SERVER,
      attributes,
      [ADOPT_ATTRIBUTES]: true,
    };
    this.span = tracer.startSpan(method, spanOptions, parent);
    this.context = requestContext(extracted, requestId, this.span);
    this.log = options.logRequests === false ? undefined : (options.logger ?? defaultLogger);
    const log = this.log;
    if (log !== undefined) {
      const level = options.receivedLevel === 'info' ? 'info' : 'debug';
      if (log.isLevelEnabled(level)) {
        this.inContext(() =>
          log[level]('request_received', { method: this.method, path: this.path }),
        );
      }
    }
  }

  /** The framework's route template (`/users/:id`); names the span `GET /users/:id`. */
  setRoute(route: string | undefined): void {
    if (this.ended || route === undefined || route === '') return;
    this.route = route;
  }

  /** For routers that know the route only after matching: asked once, when the request ends. */
  resolveRouteWith(resolver: () => string | undefined): void {
    this.routeResolver = resolver;
  }

  /** Remembers the error that failed the request; it is logged and recorded when it ends. */
  recordError(error: unknown): void {
    if (this.error === undefined) this.error = error;
  }

  /** Ends the span and writes `request_completed` or `request_failed`. Only the first call counts. */
  end(statusCode: number, aborted = false): void {
    if (this.ended) return;
    this.ended = true;
    try {
      this.finish(statusCode, aborted);
    } catch {
      // instrumentation must never fail the app's response
    }
  }

  private finish(statusCode: number, aborted: boolean): void {
    const span = this.span;
    const durationMs = Math.round((performance.now() - this.started) * 100) / 100;
    if (this.route === undefined && this.routeResolver !== undefined) {
      try {
        const route = this.routeResolver();
        if (route !== undefined && route !== '') this.route = route;
      } catch {
        // an unreadable route only costs the span its name
      }
    }
    if (this.route !== undefined) {
      span.setAttribute(ATTR_HTTP_ROUTE, this.route);
      span.updateName(`${spanMethod(this.method)} ${this.route}`);
    }
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, statusCode);
    const error = this.error;
    if (error !== undefined) {
      const { message, type } = describeError(error);
      span.recordException(error instanceof Error ? error : { name: type, message });
      span.setAttribute(ATTR_ERROR_TYPE, type);
      span.setStatus({ code: SpanStatusCode.ERROR, message });
      if (this.log !== undefined) {
        this.inContext(() =>
          this.log?.error('request_failed', {
            method: this.method,
            path: this.path,
            status_code: statusCode,
            duration_ms: durationMs,
            error: message,
            error_type: type,
          }),
        );
      }
    } else {
      // Server spans are errors only for 5xx: a 4xx is the caller's mistake (semantic conventions).
      if (statusCode >= 500) {
        span.setAttribute(ATTR_ERROR_TYPE, String(statusCode));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      if (aborted) span.setAttribute('http.request.aborted', true);
      if (this.log !== undefined) {
        const fields: Record<string, unknown> = {
          method: this.method,
          path: this.path,
          status_code: statusCode,
          duration_ms: durationMs,
        };
        if (this.route !== undefined) fields.route = this.route;
        if (aborted) fields.aborted = true;
        this.inContext(() =>
          statusCode >= 500
            ? this.log?.warn('request_completed', fields)
            : this.log?.info('request_completed', fields),
        );
      }
    }
    span.end();
  }

  private inContext(fn: () => void): void {
    try {
      // the response usually ends inside the request's own context: no need to enter it again
      if (context.active() === this.context) fn();
      else context.with(this.context, fn);
    } catch {
      // a failing log destination must not fail the request
    }
  }
}

let cachedTracer: Tracer | undefined;
let cachedProvider: TracerProvider | undefined;

/**
 * Hopscope's tracer from the registered provider, looked up again only when another provider is
 * registered (`init()`, `shutdown()`, or by hand): the lookup builds a key string per call. For
 * an OpenTelemetry SDK provider it starts LeanSpans (trace/lean-span.ts): the same spans for less
 * CPU on every request.
 */
function defaultTracer(): Tracer {
  const global = trace.getTracerProvider();
  const provider = (global as { getDelegate?: () => TracerProvider }).getDelegate?.() ?? global;
  if (cachedTracer === undefined || provider !== cachedProvider) {
    const tracer = provider.getTracer(TRACER_NAME, SDK_VERSION);
    cachedTracer = leanTracer(tracer) ?? tracer;
    cachedProvider = provider;
  }
  return cachedTracer;
}

function spanMethod(method: string): string {
  const attrs: Attributes = {};
  return methodAttributes(method, attrs);
}

export function describeError(error: unknown): { message: string; type: string } {
  if (error instanceof Error) return { message: error.message, type: error.name || 'Error' };
  if (typeof error === 'string') return { message: error, type: 'string' };
  return { message: String(error), type: typeof error };
}

export function startServerRequest(
  info: ServerRequestInfo,
  options?: HttpServerOptions,
): ServerRequest {
  return new ServerRequest(info, options);
}
