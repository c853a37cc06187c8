import { type Tracer, trace } from '@opentelemetry/api';

export const TRACER_NAME = 'hopscope';
export const SDK_VERSION = '0.1.0';

/** The SDK's tracer from the global provider (a no-op one until `init()` runs). */
export function getTracer(name: string = TRACER_NAME, version: string = SDK_VERSION): Tracer {
  return trace.getTracer(name, version);
}
