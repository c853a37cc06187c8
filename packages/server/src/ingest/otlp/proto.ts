import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Long from 'long';
import protobuf from 'protobufjs';

/**
 * The OTLP messages, loaded from packages/server/proto (the same relative path from src/ and
 * dist/). protobufjs decodes int64/fixed64 into Long, bytes into Buffer, field names camelCased
 * the way OTLP/JSON spells them, which lets one converter serve both encodings.
 */
export const PROTO_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../proto');

const FILES = [
  'opentelemetry/proto/collector/trace/v1/trace_service.proto',
  'opentelemetry/proto/collector/logs/v1/logs_service.proto',
  'google/rpc/status.proto',
];

// protobufjs's own lookup of `long` fails under ESM and would decode fixed64 nanoseconds into
// lossy doubles; hand it the class explicitly.
protobuf.util.Long = Long;
protobuf.configure();

function load(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => join(PROTO_DIR, target);
  root.loadSync(FILES, { keepCase: false });
  root.resolveAll();
  return root;
}

const root = load();

export const ExportTraceServiceRequest = root.lookupType(
  'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest',
);
export const ExportTraceServiceResponse = root.lookupType(
  'opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse',
);
export const ExportLogsServiceRequest = root.lookupType(
  'opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest',
);
export const ExportLogsServiceResponse = root.lookupType(
  'opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse',
);
export const RpcStatus = root.lookupType('google.rpc.Status');
