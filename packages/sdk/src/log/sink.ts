import type { Context } from '@opentelemetry/api';
import type { LineLevel } from './levels.js';
import type { FlatRecord } from './otlp/encode.js';

/** A log record as handed to the OTLP bridge; fields are referenced, not copied. */
export interface SinkRecord {
  level: LineLevel;
  event: string;
  message: string;
  /** Bound fields of the logger, outermost first. */
  bindings: readonly Readonly<Record<string, unknown>>[];
  fields: Readonly<Record<string, unknown>> | undefined;
  context: Context;
}

/**
 * Receives every emitted log line after it is written to stdout (e.g. the OTLP log export).
 * A sink with `emitLine` gets the serialised line instead of a record: nothing is built or
 * copied per line, the line is parsed later, off the caller's path.
 */
export interface LogSink {
  emit(record: SinkRecord): void;
  /** `line` as written (JSON, newline-terminated); `timeMs` its time; `traceFlags` W3C flags. */
  emitLine?(line: string, timeMs: number, traceFlags: number): void;
  /**
   * A sink with `emitLine` may also take `emitFlat`: the line's content as values, for calls
   * whose fields are flat (see FlatRecord), so the line need not be parsed again.
   */
  emitFlat?(record: FlatRecord): void;
}

let sink: LogSink | undefined;

/** @internal Installed by `init()`; `undefined` removes it. */
export function setLogSink(next: LogSink | undefined): void {
  sink = next;
}

export function getLogSink(): LogSink | undefined {
  return sink;
}
