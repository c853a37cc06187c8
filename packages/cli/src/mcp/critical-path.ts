import type { DebugSpan } from '@hopscope/server';

/** A stretch of the request's wall time and the span that was doing the work in it. */
export interface PathSegment {
  /** null: time no span covers (between root spans, e.g. a queue or an untraced service). */
  span: DebugSpan | null;
  startUs: number;
  endUs: number;
}

interface Node {
  span: DebugSpan | null;
  startUs: number;
  endUs: number;
  children: Node[];
}

/**
 * The critical path: walking back from the end, the child that finished last is what the parent
 * waited on; before that child started, the one that finished last before it; gaps between them
 * are the parent's own time. This is Jaeger's definition. All root spans of the request (it may
 * span several traces) hang under one virtual root that covers the whole request.
 */
export function criticalPath(spans: DebugSpan[], startUs: number, endUs: number): PathSegment[] {
  const nodes = new Map<string, Node>();
  for (const span of spans) {
    const start = span.start_us;
    const end = start + Math.max(0, Math.round(span.duration_ms * 1000));
    nodes.set(key(span.trace_id, span.span_id), { span, startUs: start, endUs: end, children: [] });
  }
  const root: Node = { span: null, startUs, endUs, children: [] };
  for (const node of nodes.values()) {
    const span = node.span as DebugSpan;
    const parent = span.parent_span_id
      ? nodes.get(key(span.trace_id, span.parent_span_id))
      : undefined;
    (parent ?? root).children.push(node);
  }
  const segments: PathSegment[] = [];
  walk(root, root.endUs, segments);
  return mergeAdjacent(segments.reverse());
}

function key(traceId: string, spanId: string): string {
  return `${traceId}/${spanId}`;
}

/**
 * Appends segments latest first (the caller reverses). A child that was still running when the
 * next one on the path started was not waited on (making it faster changes nothing), so only
 * children that ended by the cursor qualify, as in Jaeger.
 */
function walk(node: Node, endUs: number, out: PathSegment[], depth = 0): void {
  let cursor = Math.min(node.endUs, endUs);
  // Clock skew between services can put a child outside its parent: clip it to the parent.
  const children = node.children
    .map((c) => ({
      ...c,
      startUs: Math.max(c.startUs, node.startUs),
      endUs: Math.min(c.endUs, node.endUs),
    }))
    .filter((c) => c.endUs > c.startUs)
    .sort((a, b) => b.endUs - a.endUs);
  for (const child of children) {
    if (cursor <= node.startUs) break;
    if (child.endUs > cursor) continue;
    if (child.endUs < cursor) out.push({ span: node.span, startUs: child.endUs, endUs: cursor });
    // Deep chains (thousands of nested spans) must not blow the stack.
    if (depth < 2000) walk(child, child.endUs, out, depth + 1);
    else out.push({ span: child.span, startUs: child.startUs, endUs: child.endUs });
    cursor = child.startUs;
  }
  if (cursor > node.startUs) out.push({ span: node.span, startUs: node.startUs, endUs: cursor });
}

function mergeAdjacent(segments: PathSegment[]): PathSegment[] {
  const out: PathSegment[] = [];
  for (const seg of segments) {
    if (seg.endUs <= seg.startUs) continue;
    const last = out.at(-1);
    if (last && last.span === seg.span && last.endUs === seg.startUs) last.endUs = seg.endUs;
    else out.push({ ...seg });
  }
  return out;
}
