import type { LoggerProvider, Logger as OtelLogger } from '@opentelemetry/api-logs';
import { getRequestId } from '../context/index.js';
import { countDropped, getProcessedCount } from '../trace/drops.js';
import { OTLP_SEVERITY } from './levels.js';
import type { LogSink, SinkRecord } from './sink.js';

/** OTLP attribute values are primitives, arrays and maps; turn the rest into what a reader wants. */
function attributeValue(value: unknown): unknown {
  if (value instanceof Error) return value.message;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  return value;
}

function copyFields(into: Record<string, unknown>, fields: Readonly<Record<string, unknown>>) {
  for (const key in fields) {
    const value = fields[key];
    if (value === undefined || typeof value === 'function') continue;
    into[key] = attributeValue(value);
    if (value instanceof Error && fields.error_type === undefined && key === 'error') {
      into.error_type = value.name;
    }
  }
}

/**
 * Sends each log line to the collector as an OTLP log record, through the OpenTelemetry logs
 * SDK (batched, bounded queue, never blocking the caller). Fields are copied into attributes
 * here because the batch keeps the record after the caller may have mutated its object.
 * `init()` installs the cheaper line export (otlp/) instead; this sink stays for setups built on
 * a LoggerProvider of their own, and as the reference the line export is tested and benchmarked
 * against.
 */
export function createOtlpLogSink(
  provider: LoggerProvider,
  version: string,
  maxPending = Number.POSITIVE_INFINITY,
): LogSink {
  const otel: OtelLogger = provider.getLogger('hopscope', version);
  const processedAtStart = getProcessedCount('logs');
  let emitted = 0;
  return {
    emit(record: SinkRecord) {
      // Records not yet finished by the batch processor (queued or in flight). Past the bound the
      // processor would drop the record anyway: drop it here, before paying to build it.
      if (emitted - (getProcessedCount('logs') - processedAtStart) >= maxPending) {
        countDropped('logs');
        return;
      }
      emitted++;
      const attributes: Record<string, unknown> = { event: record.event };
      const requestId = getRequestId(record.context);
      if (requestId !== undefined) attributes['request.id'] = requestId;
      for (const bound of record.bindings) copyFields(attributes, bound);
      if (record.fields !== undefined) copyFields(attributes, record.fields);
      delete attributes.message;
      otel.emit({
        severityNumber: OTLP_SEVERITY[record.level],
        severityText: record.level,
        body: record.message,
        eventName: record.event,
        attributes: attributes as Record<string, never>,
        context: record.context,
      });
    },
  };
}
