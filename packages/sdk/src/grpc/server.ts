import {
  Metadata,
  type ServerErrorResponse,
  type ServiceDefinition,
  status as Status,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import {
  type Context,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { getRequestId, getServicesEncountered, getUpstreamService } from '../context/index.js';
import { describeError } from '../http/server-core.js';
import { logger as defaultLogger, type HopscopeLogger } from '../log/index.js';
import { extractHop, hopService, hopTracer, tracksChain } from '../propagation/hop.js';
import { REQUEST_ID_HEADER } from '../propagation/propagator.js';
import { recordError } from '../trace/with-span.js';
import { ATTR_RPC_GRPC_STATUS_CODE, type GrpcHopOptions, rpcAttributes } from './common.js';

export interface GrpcServerOptions extends GrpcHopOptions {
  /** Where `rpc_completed` / `rpc_failed` go. Default: `logger`. */
  logger?: HopscopeLogger;
  /** Write the per-call log lines. Default true. */
  logCalls?: boolean;
}

/** Status codes that are the server's fault (RPC semantic conventions, server spans). */
const SERVER_ERRORS = new Set<number>([
  Status.UNKNOWN,
  Status.DEADLINE_EXCEEDED,
  Status.UNIMPLEMENTED,
  Status.INTERNAL,
  Status.UNAVAILABLE,
  Status.DATA_LOSS,
]);

interface ServerCall {
  metadata: Metadata;
  sendMetadata(md: Metadata): void;
  on?(event: string, fn: (...args: unknown[]) => void): unknown;
  once?(event: string, fn: (...args: unknown[]) => void): unknown;
  write?: (...args: unknown[]) => boolean;
  end?: (...args: unknown[]) => unknown;
  getPeer?(): string;
}

type Handler = (...args: unknown[]) => unknown;

/**
 * Wraps a grpc-js service implementation so every call (unary, client-, server- and bidi-
 * streaming) runs in a SERVER span continuing the caller's trace from metadata, with the
 * request ID (taken or generated) and the chain active in the handler and its stream events;
 * `x-request-id` goes back in the response metadata; `rpc_completed` / `rpc_failed` are logged.
 *
 *   server.addService(def, tracedService(def, implementation))
 */
export function tracedService<I extends UntypedServiceImplementation>(
  definition: ServiceDefinition,
  implementation: I,
  options: GrpcServerOptions = {},
): I {
  if (definition === null || typeof definition !== 'object') {
    throw new TypeError(
      'hopscope/grpc: tracedService(definition, implementation) needs a service definition',
    );
  }
  const out: Record<string, unknown> = { ...implementation };
  for (const [key, method] of Object.entries(definition)) {
    const handler =
      (implementation as Record<string, unknown>)[key] ??
      (method.originalName
        ? (implementation as Record<string, unknown>)[method.originalName]
        : undefined);
    if (typeof handler !== 'function') continue;
    const wrapped = wrap(handler as Handler, method.path, method.responseStream, options);
    out[key] = wrapped;
    if (method.originalName !== undefined) out[method.originalName] = wrapped;
  }
  return out as I;
}

function wrap(
  handler: Handler,
  path: string,
  responseStream: boolean,
  options: GrpcServerOptions,
): Handler {
  return function traced(this: unknown, call: unknown, callback?: unknown) {
    let scope: CallScope;
    try {
      scope = new CallScope(call as ServerCall, path, options);
    } catch {
      return handler.call(this, call, callback);
    }
    const args: unknown[] = [call];
    if (!responseStream && typeof callback === 'function') {
      args.push((error: ServerErrorResponse | null, value?: unknown, ...rest: unknown[]) => {
        scope.sendRequestId();
        scope.end(error === null || error === undefined ? undefined : toServiceError(error));
        return (callback as Handler)(error, value, ...rest);
      });
    }
    if (responseStream) scope.watchStream();
    return context.with(scope.context, () => {
      try {
        const result = handler.apply(this, args);
        if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
          (result as PromiseLike<unknown>).then(undefined, (error) =>
            scope.end(toServiceError(error)),
          );
        }
        return result;
      } catch (error) {
        scope.end(toServiceError(error));
        throw error;
      }
    });
  };
}

/** A handler's error (thrown, rejected or given to the callback) as a status and message. */
function toServiceError(error: unknown): { code: number; message: string; name?: string } {
  const { code, details } = (error ?? {}) as { code?: unknown; details?: unknown };
  const described = describeError(error);
  const status = typeof code === 'number' ? code : Status.UNKNOWN;
  const message =
    typeof details === 'string' && details !== '' && !(error instanceof Error)
      ? details
      : described.message;
  const name = error instanceof Error ? described.type : (Status[status] ?? described.type);
  return { code: status, message, name };
}

class CallScope {
  readonly context: Context;
  readonly span: Span;
  private readonly call: ServerCall;
  private readonly started = performance.now();
  private readonly log: HopscopeLogger | undefined;
  private readonly path: string;
  private requestIdSent = false;
  private ended = false;

  constructor(call: ServerCall, path: string, options: GrpcServerOptions) {
    this.call = call;
    this.path = path;
    let carrier: Record<string, unknown> | undefined;
    try {
      carrier = call.metadata?.getMap();
    } catch {
      carrier = undefined;
    }
    const parent = extractHop(
      carrier as Record<string, string> | undefined,
      hopService(options),
      undefined,
      tracksChain(options.servicesEncountered),
    );
    const { name, attributes } = rpcAttributes(path);
    const upstream = getUpstreamService(parent);
    const chain = getServicesEncountered(parent);
    this.span = hopTracer(options).startSpan(
      name,
      {
        kind: SpanKind.SERVER,
        attributes: {
          ...attributes,
          'request.id': getRequestId(parent) ?? '',
          ...(upstream === undefined ? {} : { 'upstream.service': upstream }),
          ...(chain.length === 0 ? {} : { 'services.encountered': [...chain] }),
        },
      },
      parent,
    );
    this.context = trace.setSpan(parent, this.span);
    this.log = options.logCalls === false ? undefined : (options.logger ?? defaultLogger);
    // Stream events (client messages, cancel) fire outside the handler's async context.
    if (typeof (call as { emit?: unknown }).emit === 'function') {
      context.bind(this.context, call as unknown as NodeJS.EventEmitter);
    }
    this.patchMetadata();
  }

  /** Adds `x-request-id` to whatever initial metadata the handler sends, and sends it first. */
  private patchMetadata(): void {
    const call = this.call;
    const original = call.sendMetadata?.bind(call);
    if (original === undefined) return;
    const requestId = getRequestId(this.context);
    call.sendMetadata = (md: Metadata) => {
      this.requestIdSent = true;
      try {
        if (requestId !== undefined) md.set(REQUEST_ID_HEADER, requestId);
      } catch {
        // metadata the handler built stays as it was
      }
      original(md);
    };
    if (typeof call.write === 'function') {
      const write = call.write.bind(call);
      call.write = (...args: unknown[]) => {
        this.sendRequestId();
        return write(...args);
      };
    }
  }

  sendRequestId(): void {
    if (this.requestIdSent) return;
    try {
      this.call.sendMetadata(new Metadata());
    } catch {
      // the call may already be finished
    }
  }

  /** Server-streaming and bidi calls end when the stream finishes, fails or is cancelled. */
  watchStream(): void {
    const call = this.call;
    call.once?.('finish', () => this.end());
    call.once?.('error', (error) => this.end(toServiceError(error)));
    call.once?.('cancelled', () => this.end({ code: Status.CANCELLED, message: 'cancelled' }));
  }

  end(error?: { code?: number; message?: string; name?: string }): void {
    if (this.ended) return;
    this.ended = true;
    try {
      const code = error === undefined ? Status.OK : (error.code ?? Status.UNKNOWN);
      const span = this.span;
      span.setAttribute(ATTR_RPC_GRPC_STATUS_CODE, code);
      const durationMs = Math.round((performance.now() - this.started) * 100) / 100;
      const fields: Record<string, unknown> = {
        rpc_method: this.path,
        grpc_status: Status[code] ?? code,
        duration_ms: durationMs,
      };
      if (SERVER_ERRORS.has(code)) {
        recordError(
          span,
          Object.assign(new Error(error?.message ?? ''), { name: error?.name ?? Status[code] }),
        );
        span.setStatus({ code: SpanStatusCode.ERROR, message: error?.message });
        context.with(this.context, () =>
          this.log?.error('rpc_failed', {
            ...fields,
            error: error?.message,
            error_type: error?.name,
          }),
        );
      } else {
        context.with(this.context, () => this.log?.info('rpc_completed', fields));
      }
      span.end();
    } catch {
      // instrumentation must never fail the call
    }
  }
}
