import { type Attributes, SpanKind, trace } from '@opentelemetry/api';
import { getTracer } from '../trace/tracer.js';

export interface DecisionOptions {
  /** `decision.type`: what was decided (`code_analysis`, `route`, `tool_choice`…). */
  type: string;
  /** `decision.confidence`, 0 to 1. */
  confidence?: number;
  /** `decision.factors`: the inputs that weighed in; objects are stored as JSON. */
  factors?: unknown;
  /** `decision.result`: what was chosen. */
  result?: unknown;
  /** `decision.alternatives`: the options considered and not taken; stored as JSON. */
  alternatives?: unknown;
  attributes?: Attributes;
}

function text(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The `decision.*` attributes of seed 001, valid values only. */
export function decisionAttributes(d: DecisionOptions): Attributes {
  const out: Attributes = { 'decision.type': d.type };
  if (typeof d.confidence === 'number' && Number.isFinite(d.confidence)) {
    out['decision.confidence'] = Math.min(1, Math.max(0, d.confidence));
  }
  const factors = text(d.factors);
  if (factors !== undefined) out['decision.factors'] = factors;
  const result = text(d.result);
  if (result !== undefined) out['decision.result'] = result;
  const alternatives = text(d.alternatives);
  if (alternatives !== undefined) out['decision.alternatives'] = alternatives;
  return out;
}

/**
 * Records an agent decision (seed 001): a `decision {type}` span with the `decision.*`
 * attributes under the current span, and a `decision` event with the same attributes on the
 * current span, so both a waterfall and a span's event list show it. Returns the span's IDs.
 * Never throws: a bad call is recorded as far as it is valid.
 */
export function decision(d: DecisionOptions): { traceId: string; spanId: string } | undefined {
  try {
    if (typeof d?.type !== 'string' || d.type === '') {
      process.emitWarning(
        `hopscope: decision() needs a non-empty type, got ${JSON.stringify(d?.type)}`,
      );
      return undefined;
    }
    const attributes = decisionAttributes(d);
    trace.getActiveSpan()?.addEvent('decision', attributes);
    const span = getTracer().startSpan(`decision ${d.type}`, {
      kind: SpanKind.INTERNAL,
      attributes: { ...d.attributes, ...attributes },
    });
    span.end();
    const { traceId, spanId } = span.spanContext();
    return { traceId, spanId };
  } catch {
    return undefined;
  }
}
