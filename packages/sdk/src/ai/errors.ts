import type { Span } from '@opentelemetry/api';
import { recordError } from '../trace/with-span.js';
import { GEN_AI } from './semconv.js';

/**
 * Records a provider error: `error.type` is the provider's error class (`RateLimitError`,
 * `APICallError`…) rather than a bare `Error`, with the HTTP status and the provider's error code
 * when the error carries them (openai, Vercel ai and most SDKs do).
 */
export function recordProviderError(span: Span, error: unknown): void {
  recordError(span, error);
  try {
    if (typeof error !== 'object' || error === null) return;
    const e = error as {
      name?: unknown;
      constructor?: { name?: unknown };
      status?: unknown;
      statusCode?: unknown;
      code?: unknown;
      type?: unknown;
    };
    const ctor = typeof e.constructor?.name === 'string' ? e.constructor.name : undefined;
    const name = typeof e.name === 'string' ? e.name : undefined;
    const type =
      name && name !== 'Error' ? name : ctor && ctor !== 'Object' ? ctor : (name ?? 'Error');
    span.setAttribute('error.type', type);
    const status =
      typeof e.status === 'number'
        ? e.status
        : typeof e.statusCode === 'number'
          ? e.statusCode
          : undefined;
    if (status !== undefined) span.setAttribute('http.response.status_code', status);
    const code =
      typeof e.code === 'string' ? e.code : typeof e.type === 'string' ? e.type : undefined;
    if (code !== undefined) span.setAttribute(GEN_AI.errorCode, code.slice(0, 128));
  } catch {
    // never let recording an error raise another
  }
}
