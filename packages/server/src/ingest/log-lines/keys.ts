/** The field names each part of a record is taken from, in order of preference. */
export const TIMESTAMP_KEYS = [
  'timestamp',
  '@timestamp',
  'time',
  'ts',
  'time_unix_nano',
  'timeUnixNano',
  'created',
  'asctime',
];
export const LEVEL_NAME_KEYS = [
  'level',
  'levelname',
  'severity_text',
  'severityText',
  'severity',
  'log.level',
  'lvl',
  'loglevel',
];
export const OTEL_SEVERITY_NUMBER_KEYS = ['severity_number', 'severityNumber'];
export const MESSAGE_KEYS = ['message', 'msg', '@message'];
export const SERVICE_KEYS = [
  'service',
  'service.name',
  'service_name',
  'serviceName',
  'svc',
  'app',
  'application',
];
export const REQUEST_ID_KEYS = [
  'request_id',
  'requestId',
  'request.id',
  'x-request-id',
  'x_request_id',
  'X-Request-ID',
  'correlation_id',
  'correlationId',
  'correlation.id',
  'x-correlation-id',
  'reqId',
];
export const TRACE_ID_KEYS = ['trace_id', 'traceId', 'trace.id', 'traceid', 'otelTraceID'];
export const SPAN_ID_KEYS = ['span_id', 'spanId', 'span.id', 'spanid', 'otelSpanID'];
export const EVENT_NAME = /^[A-Za-z_][\w.:-]{0,127}$/;
