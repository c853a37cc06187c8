import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ensureContextManager } from '../context/index.js';
import { createLogger, type HopscopeLogger } from '../log/index.js';

/** A parsed log line as written to stdout. */
export type LogLine = Record<string, unknown> & {
  event?: string;
  request_id?: string;
  trace_id?: string;
  span_id?: string;
};

export interface Capture {
  logger: HopscopeLogger;
  lines: LogLine[];
  spans(): ReadableSpan[];
  tracer: ReturnType<BasicTracerProvider['getTracer']>;
  reset(): void;
}

/**
 * @internal In-process capture of what instrumentation emits: every log line (parsed from the
 * real pino output) and every ended span (an in-memory exporter on a real SDK provider). Used by
 * the SDK's own tests on real servers; not part of the public API.
 */
export function createCapture(service = 'test-service'): Capture {
  ensureContextManager();
  const lines: LogLine[] = [];
  // pino hands a plain-object destination one whole line per write, synchronously
  const destination = {
    write(line: string) {
      if (line.trim() !== '') lines.push(JSON.parse(line) as LogLine);
    },
  };
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const logger = createLogger({
    service,
    level: 'debug',
    destination,
    pretty: false,
    exportToCollector: false,
  });
  return {
    logger,
    lines,
    spans: () => exporter.getFinishedSpans(),
    tracer: provider.getTracer('test'),
    reset() {
      lines.length = 0;
      exporter.reset();
    },
  };
}
