export { parseTraceparent, validRequestId, validSpanId, validTraceId } from './ids.js';
export {
  type LogLineShape,
  type ParsedLogLine,
  type ParseLogLineOptions,
  parseLogLine,
  parseLogLineDetailed,
} from './parse.js';
export { parseTimestamp } from './timestamp.js';
