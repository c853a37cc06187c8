import {
  type Context,
  createContextKey,
  INVALID_SPAN_CONTEXT,
  type Span,
  trace,
} from '@opentelemetry/api';
import { REQUEST_ID_KEY } from './context.js';

/**
 * The key `trace.setSpan` stores a span under. `createContextKey` is `Symbol.for(description)`
 * in every @opentelemetry/api version, so this is the API's own key; checked at load against
 * what `trace.setSpan` really uses, and if it ever differs the middleware builds its contexts the
 * ordinary way.
 */
const SPAN_KEY = createContextKey('OpenTelemetry Context Key SPAN');
let spanKeyMatches: boolean | undefined;

function spanKeyOk(): boolean {
  if (spanKeyMatches === undefined) {
    let seen: symbol | undefined;
    const probe: Context = {
      getValue: () => undefined,
      setValue: (key) => {
        seen = key;
        return probe;
      },
      deleteValue: () => probe,
    };
    try {
      trace.setSpan(probe, trace.wrapSpanContext(INVALID_SPAN_CONTEXT));
    } catch {
      // an API that cannot be probed gets the ordinary contexts
    }
    spanKeyMatches = seen === SPAN_KEY;
  }
  return spanKeyMatches;
}

/**
 * The context a request runs in: the extracted parent plus the request ID and (once started) the
 * server span, held in two fields. Building it the ordinary way, `setValue` twice, made two
 * BaseContexts per request, each a copy of the parent's Map and three closures; and every log
 * line, span start and `getRequestId()` of the request reads these two values. Immutable like
 * any context: `setValue` and `deleteValue` return a new (ordinary) context with the same values.
 */
export class RequestContext implements Context {
  private derived: Context | undefined;

  constructor(
    private readonly parent: Context,
    private readonly requestId: string,
    private readonly span: Span | undefined,
  ) {}

  getValue(key: symbol): unknown {
    if (key === REQUEST_ID_KEY) return this.requestId;
    if (key === SPAN_KEY && this.span !== undefined) return this.span;
    return this.parent.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return this.ordinary().setValue(key, value);
  }

  deleteValue(key: symbol): Context {
    return this.ordinary().deleteValue(key);
  }

  /** The same values as BaseContexts, built once when a caller derives a context from this one. */
  private ordinary(): Context {
    if (this.derived === undefined) {
      const withId = this.parent.setValue(REQUEST_ID_KEY, this.requestId);
      this.derived = this.span === undefined ? withId : trace.setSpan(withId, this.span);
    }
    return this.derived;
  }
}

/** `parent` with the request ID (and the span, when given) set: one object where it can be. */
export function requestContext(parent: Context, requestId: string, span?: Span): Context {
  if (!spanKeyOk()) {
    const withId = parent.setValue(REQUEST_ID_KEY, requestId);
    return span === undefined ? withId : trace.setSpan(withId, span);
  }
  return new RequestContext(parent, requestId, span);
}
