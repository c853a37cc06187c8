import type { DebugSpan } from '../../api/types.js';

/** A span placed in its tree, with what the waterfall needs precomputed. */
export interface SpanNode {
  index: number;
  key: string;
  span: DebugSpan;
  parent: SpanNode | null;
  children: SpanNode[];
  depth: number;
  startUs: number;
  endUs: number;
  /** Spans below this one. */
  descendants: number;
  critical: boolean;
  error: boolean;
}

export interface TraceModel {
  nodes: SpanNode[];
  roots: SpanNode[];
  byKey: Map<string, SpanNode>;
  /** Span ID alone → node, for log lines and links that carry only a span ID. */
  bySpanId: Map<string, SpanNode>;
  startUs: number;
  endUs: number;
  /** Distinct trace IDs: more than one when traces share only the request ID. */
  traceCount: number;
}

export const spanKey = (traceId: string | null, spanId: string) => `${traceId ?? ''}:${spanId}`;

/**
 * Builds the span forest in O(n log n): parent links within a trace, orphans and spans of other
 * traces sharing the request ID as extra roots, children by start time, and the critical path.
 * Iterative throughout: a 50,000-deep chain must not overflow the stack.
 */
export function buildModel(spans: DebugSpan[]): TraceModel {
  const nodes: SpanNode[] = spans.map((span, index) => {
    const startUs = span.start_us;
    return {
      index,
      key: spanKey(span.trace_id, span.span_id),
      span,
      parent: null,
      children: [],
      depth: 0,
      startUs,
      endUs: startUs + Math.max(0, span.duration_ms) * 1000,
      descendants: 0,
      critical: false,
      error: span.status === 'error',
    };
  });
  const byKey = new Map<string, SpanNode>();
  const bySpanId = new Map<string, SpanNode>();
  for (const n of nodes) {
    if (!byKey.has(n.key)) byKey.set(n.key, n);
    if (!bySpanId.has(n.span.span_id)) bySpanId.set(n.span.span_id, n);
  }
  const roots: SpanNode[] = [];
  for (const n of nodes) {
    const pid = n.span.parent_span_id;
    const parent = pid ? byKey.get(spanKey(n.span.trace_id, pid)) : undefined;
    if (parent && parent !== n) {
      n.parent = parent;
      parent.children.push(n);
    } else roots.push(n);
  }
  const byStart = (a: SpanNode, b: SpanNode) => a.startUs - b.startUs || a.index - b.index;
  roots.sort(byStart);

  // Depth-first from the roots; anything not reached sits on a parent cycle, which is cut.
  const seen = new Uint8Array(nodes.length);
  const order: SpanNode[] = [];
  const walk = (from: SpanNode[]) => {
    const stack = [...from].reverse();
    while (stack.length) {
      const n = stack.pop() as SpanNode;
      if (seen[n.index]) continue;
      seen[n.index] = 1;
      order.push(n);
      n.depth = n.parent ? n.parent.depth + 1 : 0;
      n.children.sort(byStart);
      for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]);
    }
  };
  walk(roots);
  for (const n of nodes) {
    if (seen[n.index]) continue;
    if (n.parent) n.parent.children = n.parent.children.filter((c) => c !== n);
    n.parent = null;
    roots.push(n);
    walk([n]);
  }
  for (let i = order.length - 1; i >= 0; i--) {
    const n = order[i];
    if (n.parent) n.parent.descendants += n.descendants + 1;
  }

  let startUs = Number.POSITIVE_INFINITY;
  let endUs = 0;
  for (const n of nodes) {
    if (n.startUs < startUs) startUs = n.startUs;
    if (n.endUs > endUs) endUs = n.endUs;
  }
  for (const r of roots) markCriticalPath(r);
  return {
    nodes,
    roots,
    byKey,
    bySpanId,
    startUs: Number.isFinite(startUs) ? startUs : 0,
    endUs: Math.max(endUs, Number.isFinite(startUs) ? startUs : 0),
    traceCount: new Set(spans.map((s) => s.trace_id)).size,
  };
}

/**
 * The critical path as Jaeger defines it: from a span's end, repeatedly step into the child that
 * finished last before the current point, then continue from that child's start. The choice at
 * each span depends only on its children, so a stack of (span, clamped end) suffices.
 */
function markCriticalPath(root: SpanNode): void {
  const stack: Array<[SpanNode, number]> = [[root, root.endUs]];
  while (stack.length) {
    const [n, end] = stack.pop() as [SpanNode, number];
    n.critical = true;
    if (n.children.length === 0) continue;
    const byEnd = [...n.children].sort((a, b) => b.endUs - a.endUs);
    let t = end;
    for (const c of byEnd) {
      if (c.startUs >= t) continue;
      stack.push([c, Math.min(c.endUs, t)]);
      t = c.startUs;
    }
  }
}

/**
 * Which spans start collapsed: none up to `threshold` spans; past it, subtrees are opened breadth
 * first until about `budget` rows are visible, so a 50,000-span trace opens on its outline.
 */
export function defaultCollapsed(model: TraceModel, threshold = 2000, budget = 400): Uint8Array {
  const collapsed = new Uint8Array(model.nodes.length);
  if (model.nodes.length <= threshold) return collapsed;
  for (const n of model.nodes) if (n.children.length) collapsed[n.index] = 1;
  let visible = model.roots.length;
  const queue = [...model.roots];
  for (let i = 0; i < queue.length; i++) {
    const n = queue[i];
    if (!n.children.length || visible + n.children.length > budget) continue;
    collapsed[n.index] = 0;
    visible += n.children.length;
    for (const c of n.children) queue.push(c);
  }
  return collapsed;
}

/** The rows to draw, depth first, skipping collapsed subtrees (or, with a filter, non-matches). */
export function visibleRows(
  model: TraceModel,
  collapsed: Uint8Array,
  matches: Uint8Array | null,
): SpanNode[] {
  const rows: SpanNode[] = [];
  let keep: Uint8Array | null = null;
  if (matches) {
    // Show matches with their ancestors, opened regardless of collapse, for context.
    keep = new Uint8Array(model.nodes.length);
    for (const n of model.nodes) {
      if (!matches[n.index]) continue;
      for (let p: SpanNode | null = n; p && !keep[p.index]; p = p.parent) keep[p.index] = 1;
    }
  }
  const stack = [...model.roots].reverse();
  while (stack.length) {
    const n = stack.pop() as SpanNode;
    if (keep && !keep[n.index]) continue;
    rows.push(n);
    if (!keep && collapsed[n.index]) continue;
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]);
  }
  return rows;
}

/** Spans whose name, service, kind or any attribute key or value contains `text`. */
export function matchSpans(model: TraceModel, text: string, cache: string[]): Uint8Array {
  const needle = text.toLowerCase();
  const out = new Uint8Array(model.nodes.length);
  for (const n of model.nodes) {
    let hay = cache[n.index];
    if (hay === undefined) {
      const s = n.span;
      hay =
        `${s.name}\n${s.service}\n${s.kind}\n${s.span_id}\n${s.status_message ?? ''}\n${searchableAttrs(s.attributes)}`.toLowerCase();
      cache[n.index] = hay;
    }
    if (hay.includes(needle)) out[n.index] = 1;
  }
  return out;
}

function searchableAttrs(attrs: Record<string, unknown>): string {
  let s = '';
  for (const k in attrs) {
    const v = attrs[k];
    s += `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}\n`;
  }
  return s;
}
