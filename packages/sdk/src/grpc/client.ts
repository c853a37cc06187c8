import {
  type Client,
  getClientChannel,
  InterceptingCall,
  type Interceptor,
  type Metadata,
  status as Status,
  type StatusObject,
} from '@grpc/grpc-js';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { getRequestId } from '../context/index.js';
import { hopService, hopTracer, injectHop, tracksChain } from '../propagation/hop.js';
import { SERVICES_ENCOUNTERED_HEADER } from '../propagation/propagator.js';
import { recordError } from '../trace/with-span.js';
import {
  ATTR_RPC_GRPC_STATUS_CODE,
  type GrpcHopOptions,
  rpcAttributes,
  targetAttributes,
} from './common.js';

export interface GrpcClientOptions extends GrpcHopOptions {
  /** `host:port` of the server, for `server.address`/`server.port` (use `clientTarget(client)`). */
  target?: string;
}

/**
 * A grpc-js client interceptor: a CLIENT span per call (unary and streaming) named
 * `pkg.Service/Method` with rpc.* attributes, ended with the call's status; metadata carries
 * `traceparent`, `x-request-id`, `x-upstream-service`, baggage and (opt-in) the services chain.
 * Pass it as `new Client(addr, creds, { interceptors: [grpcClientInterceptor()] })` or per call.
 */
export function grpcClientInterceptor(options: GrpcClientOptions = {}): Interceptor {
  return (callOptions, nextCall) => {
    const parent = context.active();
    const { name, attributes } = rpcAttributes(callOptions.method_definition.path);
    const requestId = getRequestId(parent);
    const span = hopTracer(options).startSpan(
      name,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          ...attributes,
          ...targetAttributes(options.target),
          ...(requestId === undefined ? {} : { 'request.id': requestId }),
        },
      },
      parent,
    );
    const ctx = trace.setSpan(parent, span);
    let ended = false;
    const end = (s: StatusObject) => {
      if (ended) return;
      ended = true;
      try {
        span.setAttribute(ATTR_RPC_GRPC_STATUS_CODE, s.code);
        if (s.code !== Status.OK) {
          recordError(span, Object.assign(new Error(s.details), { name: Status[s.code] }));
          span.setStatus({ code: SpanStatusCode.ERROR, message: s.details });
        }
      } finally {
        span.end();
      }
    };
    return new InterceptingCall(nextCall(callOptions), {
      start(metadata: Metadata, _listener, next) {
        try {
          const carrier: Record<string, string> = {};
          const chain = tracksChain(options.servicesEncountered);
          injectHop(carrier, ctx, hopService(options), chain ? SERVICES_ENCOUNTERED_HEADER : false);
          for (const [k, v] of Object.entries(carrier)) metadata.set(k, v);
        } catch {
          // a call without our metadata is better than a failed call
        }
        next(metadata, {
          onReceiveStatus(s, nextStatus) {
            end(s);
            nextStatus(s);
          },
        });
      },
    });
  };
}

/** A client's target (`127.0.0.1:50051`), for `grpcClientInterceptor({ target })`. */
export function clientTarget(client: Client): string | undefined {
  try {
    return getClientChannel(client).getTarget();
  } catch {
    return undefined;
  }
}
