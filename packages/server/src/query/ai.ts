/**
 * AI views over stored spans: the `ai` summary of a request (debug trace), the per-span AI block
 * and the roll-up responses. Tokens and cost are summed over `llm` spans only (agent and
 * workflow spans of several dialects repeat their children's totals).
 */
import type {
  AiCall,
  AiCostSource,
  AiDecision,
  AiModelLatency,
  AiModelSummary,
  AiSeriesResponse,
  AiSpanKind,
  AiTraceSummary,
  AiUsageGroup,
  DebugSpanAi,
} from '../api/types.js';
import type { AiCallRow, AiModelLatencyRow, AiSeriesRow, AiUsageRow } from '../store/ai-reader.js';
import { roundUsd } from '../store/ai-sql-parts.js';
import type { Attributes, AttributeValue, SpanRecord } from '../store/records.js';
import { nsToIso, nsToMs, nsToUs, statusName } from './format.js';

export function debugSpanAi(s: SpanRecord): DebugSpanAi | undefined {
  const ai = s.ai;
  if (!ai?.kind) return undefined;
  return {
    kind: ai.kind as AiSpanKind,
    provider: ai.provider ?? null,
    model: ai.model ?? null,
    operation: ai.operation ?? null,
    input_tokens: ai.input ?? null,
    output_tokens: ai.output ?? null,
    cache_read_tokens: ai.cacheRead ?? null,
    cache_creation_tokens: ai.cacheCreation ?? null,
    reasoning_tokens: ai.reasoning ?? null,
    cost_usd: ai.costUsd ?? null,
    cost_source: (ai.costSource as AiCostSource | undefined) ?? null,
    ttft_ms: ai.ttftMs ?? null,
    session_id: ai.sessionId ?? null,
    user_id: ai.userId ?? null,
  };
}

/** JSON text (as seed 001's `json.dumps(factors)`) back to its value; other values as they are. */
function parsed(v: AttributeValue | undefined): unknown {
  if (typeof v !== 'string') return v ?? null;
  const t = v.trim();
  if (!(t.startsWith('{') || t.startsWith('['))) return v;
  try {
    return JSON.parse(t);
  } catch {
    return v;
  }
}

function decisionOf(s: SpanRecord, a: Attributes = s.attributes, timeNs = s.startNs): AiDecision {
  const confidence =
    typeof a['decision.confidence'] === 'number'
      ? a['decision.confidence']
      : Number(a['decision.confidence']);
  return {
    span_id: s.spanId,
    trace_id: s.traceId,
    service: s.service,
    timestamp: nsToIso(timeNs),
    type: String(a['decision.type'] ?? ''),
    confidence: Number.isFinite(confidence) ? confidence : null,
    factors: parsed(a['decision.factors']),
    result:
      a['decision.result'] === undefined || a['decision.result'] === null
        ? null
        : String(a['decision.result']),
    alternatives: parsed(a['decision.alternatives']),
  };
}

function zeroTokens() {
  return {
    input_tokens: 0,
    output_tokens: 0,
    cache_read_tokens: 0,
    cache_creation_tokens: 0,
    reasoning_tokens: 0,
  };
}

/** The `ai` block of a debug trace, or undefined when the request has no AI spans. */
export function aiTraceSummary(spans: readonly SpanRecord[]): AiTraceSummary | undefined {
  const out: AiTraceSummary = {
    calls: 0,
    errors: 0,
    agents: 0,
    tools: 0,
    cost_usd: 0,
    unpriced_calls: 0,
    llm_duration_ms: 0,
    ...zeroTokens(),
    models: [],
    decisions: [],
    sessions: [],
    users: [],
  };
  const models = new Map<string, AiModelSummary>();
  const sessions = new Set<string>();
  const users = new Set<string>();
  let any = false;
  for (const s of spans) {
    const ai = s.ai;
    if (!ai) continue;
    if (ai.sessionId) sessions.add(ai.sessionId);
    if (ai.userId) users.add(ai.userId);
    if (!ai.kind) continue;
    any = true;
    if (ai.kind === 'agent') out.agents++;
    else if (ai.kind === 'tool') out.tools++;
    else if (ai.kind === 'decision') out.decisions.push(decisionOf(s));
    if (ai.kind !== 'llm') continue;
    const key = `${ai.model ?? ''}\u0000${ai.provider ?? ''}`;
    let m = models.get(key);
    if (!m) {
      m = {
        model: ai.model ?? null,
        provider: ai.provider ?? null,
        calls: 0,
        errors: 0,
        cost_usd: 0,
        unpriced_calls: 0,
        duration_ms: 0,
        ...zeroTokens(),
      };
      models.set(key, m);
    }
    const ms = nsToMs(s.durationNs);
    for (const target of [out, m]) {
      target.calls++;
      if (s.statusCode === 2) target.errors++;
      target.input_tokens += ai.input ?? 0;
      target.output_tokens += ai.output ?? 0;
      target.cache_read_tokens += ai.cacheRead ?? 0;
      target.cache_creation_tokens += ai.cacheCreation ?? 0;
      target.reasoning_tokens += ai.reasoning ?? 0;
      if (ai.costUsd === null || ai.costUsd === undefined) target.unpriced_calls++;
      else target.cost_usd += ai.costUsd;
    }
    out.llm_duration_ms += ms;
    m.duration_ms += ms;
  }
  // Decisions recorded only as span events (`decision` with decision.* attributes) count too,
  // unless a decision span of the same type sits under that span (Hopscope's SDK writes both).
  const spanDecisions = new Set(
    spans
      .filter((x) => x.ai?.kind === 'decision')
      .map((x) => `${x.parentSpanId}\u0000${x.attributes['decision.type']}`),
  );
  for (const s of spans) {
    for (const e of s.events) {
      const type = e.attributes['decision.type'];
      if (e.name !== 'decision' || type === undefined) continue;
      if (spanDecisions.has(`${s.spanId}\u0000${type}`)) continue;
      out.decisions.push(decisionOf(s, e.attributes, e.timeNs));
      any = true;
    }
  }
  if (!any) return undefined;
  out.decisions.sort((a, b) => a.timestamp.localeCompare(b.timestamp));
  out.cost_usd = roundUsd(out.cost_usd);
  out.models = [...models.values()]
    .map((m) => ({ ...m, cost_usd: roundUsd(m.cost_usd) }))
    .sort((a, b) => b.cost_usd - a.cost_usd || b.calls - a.calls);
  out.sessions = [...sessions].sort();
  out.users = [...users].sort();
  return out;
}

export function toUsageGroup(r: AiUsageRow): AiUsageGroup {
  return {
    key: r.key,
    calls: r.calls,
    errors: r.errors,
    input_tokens: r.inputTokens,
    output_tokens: r.outputTokens,
    cache_read_tokens: r.cacheReadTokens,
    cache_creation_tokens: r.cacheCreationTokens,
    reasoning_tokens: r.reasoningTokens,
    cost_usd: r.costUsd,
    unpriced_calls: r.unpricedCalls,
    decisions: r.decisions,
  };
}

export function toModelLatency(r: AiModelLatencyRow): AiModelLatency {
  return {
    model: r.model,
    provider: r.provider,
    calls: r.calls,
    errors: r.errors,
    avg_ms: r.avgMs,
    p50_ms: r.p50Ms,
    p95_ms: r.p95Ms,
    p99_ms: r.p99Ms,
    max_ms: r.maxMs,
    ttft_p50_ms: r.ttftP50Ms,
    ttft_p95_ms: r.ttftP95Ms,
    output_tokens_per_s: r.outputTokensPerSecond,
  };
}

export function toAiCall(r: AiCallRow): AiCall {
  return {
    trace_id: r.traceId,
    span_id: r.spanId,
    request_id: r.requestId,
    service: r.service,
    name: r.name,
    start: nsToIso(r.startNs),
    start_us: nsToUs(r.startNs),
    duration_ms: r.durationMs,
    status: statusName(r.statusCode as 0 | 1 | 2),
    model: r.model,
    provider: r.provider,
    operation: r.operation,
    input_tokens: r.inputTokens,
    output_tokens: r.outputTokens,
    cost_usd: r.costUsd,
    cost_source: r.costSource as AiCostSource | null,
    ttft_ms: r.ttftMs,
  };
}

/** Rows (bucket × key) → one series per key, costliest first. */
export function toSeries(rows: readonly AiSeriesRow[]): AiSeriesResponse['series'] {
  const byKey = new Map<string | null, AiSeriesResponse['series'][number]>();
  for (const r of rows) {
    let s = byKey.get(r.key);
    if (!s) {
      s = { key: r.key, calls: 0, cost_usd: 0, points: [] };
      byKey.set(r.key, s);
    }
    s.calls += r.calls;
    s.cost_usd += r.costUsd;
    s.points.push({
      start: nsToIso(r.bucketNs),
      start_us: nsToUs(r.bucketNs),
      calls: r.calls,
      input_tokens: r.inputTokens,
      output_tokens: r.outputTokens,
      cost_usd: r.costUsd,
      unpriced_calls: r.unpricedCalls,
    });
  }
  return [...byKey.values()]
    .map((s) => ({ ...s, cost_usd: roundUsd(s.cost_usd) }))
    .sort((a, b) => b.cost_usd - a.cost_usd || b.calls - a.calls);
}
