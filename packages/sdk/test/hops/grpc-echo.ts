/** A real grpc-js Echo service (proto-loader, HTTP/2 on 127.0.0.1:0) for the gRPC tests. */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { trace } from '@opentelemetry/api';
import { getRequestId, getServicesEncountered } from '../../src/context/index.js';

const PROTO = fileURLToPath(new URL('./echo.proto', import.meta.url));

export interface Pong {
  text: string;
  request_id: string;
  chain: string[];
  trace_id: string;
}

export function loadEcho(): grpc.ServiceClientConstructor & { service: grpc.ServiceDefinition } {
  const def = protoLoader.loadSync(PROTO, { keepCase: true, defaults: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    hopscope: {
      test: { Echo: grpc.ServiceClientConstructor & { service: grpc.ServiceDefinition } };
    };
  };
  return pkg.hopscope.test.Echo;
}

/** What the handler sees of its context, sent back so the client can assert on it. */
export function here(text: string): Pong {
  return {
    text,
    request_id: getRequestId() ?? '',
    chain: [...getServicesEncountered()],
    trace_id: trace.getActiveSpan()?.spanContext().traceId ?? '',
  };
}

export async function listen(server: grpc.Server): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) =>
      err ? reject(err) : resolve(port),
    ),
  );
}
