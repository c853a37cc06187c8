import type { JaegerTrace } from '../../api/types.js';

export interface TraceSummary {
  traceId: string;
  requestId: string | null;
  rootService: string;
  rootOperation: string;
  startUs: number;
  durationMs: number;
  spanCount: number;
  services: string[];
  errorCount: number;
}

/** One result row from a Jaeger trace: its root span, extent, services and errors. */
export function summarize(t: JaegerTrace): TraceSummary {
  const ids = new Set(t.spans.map((s) => s.spanID));
  let root = t.spans[0];
  let start = Number.POSITIVE_INFINITY;
  let end = 0;
  let errors = 0;
  let requestId: string | null = null;
  const services = new Set<string>();
  for (const s of t.spans) {
    start = Math.min(start, s.startTime);
    end = Math.max(end, s.startTime + s.duration);
    services.add(t.processes[s.processID]?.serviceName ?? 'unknown');
    const parent = s.references.find((r) => r.refType === 'CHILD_OF');
    const isRoot = !parent || !ids.has(parent.spanID);
    if (isRoot && (root === undefined || !isRootOf(root, ids) || s.startTime < root.startTime)) {
      root = s;
    }
    for (const tag of s.tags) {
      if (tag.key === 'error' && tag.value === true) errors++;
      if (tag.key === 'request.id' && requestId === null && typeof tag.value === 'string') {
        requestId = tag.value;
      }
    }
  }
  return {
    traceId: t.traceID,
    requestId,
    rootService: root ? (t.processes[root.processID]?.serviceName ?? 'unknown') : 'unknown',
    rootOperation: root?.operationName ?? '',
    startUs: Number.isFinite(start) ? start : 0,
    durationMs: Number.isFinite(start) ? (end - start) / 1000 : 0,
    spanCount: t.spans.length,
    services: [...services],
    errorCount: errors,
  };
}

function isRootOf(s: JaegerTrace['spans'][number], ids: Set<string>): boolean {
  const parent = s.references.find((r) => r.refType === 'CHILD_OF');
  return !parent || !ids.has(parent.spanID);
}
