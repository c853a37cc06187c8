export type { Callsite } from './callsite.js';
export type { LineLevel } from './levels.js';
export {
  type CreateLoggerOptions,
  createLogger,
  HopscopeLogger,
  type LogFields,
  type LogMethod,
  logger,
} from './logger.js';
export { createOtlpLogSink } from './otlp-sink.js';
export { getLogSink, type LogSink, type SinkRecord, setLogSink } from './sink.js';
