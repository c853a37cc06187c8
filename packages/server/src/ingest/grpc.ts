import * as grpc from '@grpc/grpc-js';
import { bearerMatches } from './auth.js';
import { IngestInputError, QueueFullError } from './errors.js';
import { type ExportContext, exportSignal, type Signal } from './otlp/export.js';
import { ExportLogsServiceResponse, ExportTraceServiceResponse } from './otlp/proto.js';

export interface IngestGrpcOptions {
  host: string;
  port: number;
  maxBodyBytes: number;
  ingestToken?: string;
}

export interface GrpcHandle {
  port: number;
  close(): Promise<void>;
}

function method(signal: Signal): grpc.MethodDefinition<Buffer, Record<string, unknown>> {
  const service = signal === 'traces' ? 'trace.v1.TraceService' : 'logs.v1.LogsService';
  const response = signal === 'traces' ? ExportTraceServiceResponse : ExportLogsServiceResponse;
  return {
    path: `/opentelemetry.proto.collector.${service}/Export`,
    requestStream: false,
    responseStream: false,
    // Requests stay bytes here and are decoded in the handler, so bad protobuf gets a precise
    // INVALID_ARGUMENT instead of grpc-js's generic deserialization error.
    requestDeserialize: (b: Buffer) => b,
    requestSerialize: (b: Buffer) => b,
    responseSerialize: (o) => Buffer.from(response.encode(response.fromObject(o)).finish()),
    responseDeserialize: (b) => response.toObject(response.decode(b)),
  };
}

/** OTLP/gRPC TraceService and LogsService on their own port (4317 by default). */
export async function startGrpc(
  ctx: ExportContext,
  options: IngestGrpcOptions,
): Promise<GrpcHandle> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': options.maxBodyBytes,
  });
  const handler =
    (signal: Signal): grpc.handleUnaryCall<Buffer, Record<string, unknown>> =>
    (call, callback) => {
      const done = (code: grpc.status, details: string, retryAfter?: number) => {
        ctx.metrics.requests.inc({ protocol: 'grpc', code: grpc.status[code] ?? String(code) });
        const metadata = new grpc.Metadata();
        if (retryAfter !== undefined) metadata.set('retry-after', String(retryAfter));
        callback({ code, details, metadata });
      };
      if (options.ingestToken) {
        const auth = call.metadata.get('authorization')[0];
        if (!bearerMatches(typeof auth === 'string' ? auth : undefined, options.ingestToken)) {
          done(
            grpc.status.UNAUTHENTICATED,
            'missing or wrong ingest token: send metadata authorization: Bearer <ingest-token>',
          );
          return;
        }
      }
      exportSignal(ctx, signal, 'grpc', call.request).then(
        (r) => {
          ctx.metrics.requests.inc({ protocol: 'grpc', code: 'OK' });
          const partial =
            r.rejected === 0
              ? {}
              : {
                  partialSuccess:
                    signal === 'traces'
                      ? { rejectedSpans: r.rejected, errorMessage: r.errorMessage }
                      : { rejectedLogRecords: r.rejected, errorMessage: r.errorMessage },
                };
          callback(null, partial);
        },
        (err: unknown) => {
          if (err instanceof IngestInputError) done(grpc.status.INVALID_ARGUMENT, err.message);
          else if (err instanceof QueueFullError) {
            ctx.metrics.rejected.inc({ signal, reason: 'queue_full' });
            done(grpc.status.RESOURCE_EXHAUSTED, err.message, err.retryAfterSeconds);
          } else {
            ctx.metrics.rejected.inc({ signal, reason: 'store_error' });
            done(grpc.status.UNAVAILABLE, `the store could not commit the data: ${String(err)}`, 5);
          }
        },
      );
    };
  server.addService({ Export: method('traces') }, { Export: handler('traces') });
  server.addService({ Export: method('logs') }, { Export: handler('logs') });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(
      `${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`,
      grpc.ServerCredentials.createInsecure(),
      (err, bound) => (err ? reject(err) : resolve(bound)),
    );
  });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        // Finish in-flight exports, but do not wait forever on a stuck client.
        const timer = setTimeout(() => server.forceShutdown(), 5000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
