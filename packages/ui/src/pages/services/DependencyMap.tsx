import { useMemo, useRef } from 'react';
import type { JaegerDependencyLink } from '../../api/types.js';
import { serviceColor } from '../../lib/colors.js';
import { fmtCount, fmtPct } from '../../lib/format.js';
import { useWidth } from '../../lib/useWidth.js';

const NODE_W = 150;
const NODE_H = 34;
const ROW_GAP = 26;

/**
 * Services in columns by call depth (callers left, callees right), edges labelled with call
 * counts and error rates. Cycles are cut where a back edge would close them.
 */
export function DependencyMap({
  links,
  onPick,
}: {
  links: JaegerDependencyLink[];
  onPick?: (service: string) => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const width = useWidth(ref, 900);
  const layout = useMemo(() => layoutGraph(links), [links]);
  if (links.length === 0) {
    return (
      <div className="muted pad" ref={ref}>
        No calls between services in this window yet.
      </div>
    );
  }
  const cols = layout.columns.length;
  const colGap = cols > 1 ? (width - NODE_W - 20) / (cols - 1) : 0;
  const height = Math.max(...layout.columns.map((c) => c.length)) * (NODE_H + ROW_GAP) + 20;
  const pos = new Map<string, { x: number; y: number }>();
  layout.columns.forEach((col, ci) => {
    const colH = col.length * (NODE_H + ROW_GAP) - ROW_GAP;
    const y0 = (height - colH) / 2;
    col.forEach((s, ri) => {
      pos.set(s, { x: 10 + ci * colGap, y: y0 + ri * (NODE_H + ROW_GAP) });
    });
  });
  return (
    <div className="dep-map" ref={ref}>
      <svg width={width} height={height} role="img" aria-label="Service dependency map">
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto"
          >
            <path d="M0,0 L10,5 L0,10 z" fill="#8b93a7" />
          </marker>
          <marker
            id="arrow-err"
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto"
          >
            <path d="M0,0 L10,5 L0,10 z" fill="#d64545" />
          </marker>
        </defs>
        {links.map((l) => {
          const a = pos.get(l.parent);
          const b = pos.get(l.child);
          if (!a || !b) return null;
          const self = l.parent === l.child;
          const x1 = a.x + NODE_W;
          const y1 = a.y + NODE_H / 2;
          const backwards = b.x <= a.x;
          const x2 = backwards ? b.x + NODE_W / 2 : b.x;
          const y2 = backwards ? b.y + (b.y > a.y ? 0 : NODE_H) : b.y + NODE_H / 2;
          const rate = l.callCount ? l.errorCount / l.callCount : 0;
          const bad = l.errorCount > 0;
          const d = self
            ? `M${x1},${y1 - 6} c40,-30 40,30 0,12`
            : `M${x1},${y1} C${x1 + 60},${y1} ${x2 - 60},${y2} ${x2},${y2}`;
          const mx = self ? x1 + 34 : (x1 + x2) / 2;
          const my = self ? y1 : (y1 + y2) / 2;
          const label = `${fmtCount(l.callCount)} call${l.callCount === 1 ? '' : 's'}${bad ? ` · ${fmtPct(rate)} err` : ''}`;
          return (
            <g
              key={`${l.parent}->${l.child}`}
              className="dep-edge"
              data-edge={`${l.parent}->${l.child}`}
            >
              <path
                d={d}
                fill="none"
                stroke={bad ? '#d64545' : '#8b93a7'}
                strokeWidth={1.2 + Math.min(4, Math.log10(l.callCount + 1))}
                markerEnd={`url(#${bad ? 'arrow-err' : 'arrow'})`}
                opacity={0.85}
              />
              <rect
                x={mx - label.length * 3.3 - 4}
                y={my - 9}
                width={label.length * 6.6 + 8}
                height={18}
                rx={4}
                className="edge-label-bg"
              />
              <text
                x={mx}
                y={my + 4}
                textAnchor="middle"
                className={`edge-label${bad ? ' bad' : ''}`}
              >
                {label}
              </text>
            </g>
          );
        })}
        {[...pos.entries()].map(([s, p]) => (
          // biome-ignore lint/a11y/noStaticElementInteractions: the RED table is the keyboard path
          <g key={s} className="dep-node" onClick={() => onPick?.(s)} data-service={s}>
            <rect
              x={p.x}
              y={p.y}
              width={NODE_W}
              height={NODE_H}
              rx={7}
              fill="#fff"
              stroke={serviceColor(s)}
              strokeWidth={2}
            />
            <rect x={p.x} y={p.y} width={6} height={NODE_H} rx={3} fill={serviceColor(s)} />
            <text x={p.x + 14} y={p.y + NODE_H / 2 + 4} className="node-label">
              {s.length > 19 ? `${s.slice(0, 18)}…` : s}
            </text>
            <title>{s}</title>
          </g>
        ))}
      </svg>
    </div>
  );
}

function layoutGraph(links: JaegerDependencyLink[]): { columns: string[][] } {
  const nodes = new Set<string>();
  const out = new Map<string, string[]>();
  const indeg = new Map<string, number>();
  for (const l of links) {
    nodes.add(l.parent);
    nodes.add(l.child);
    if (l.parent === l.child) continue;
    out.set(l.parent, [...(out.get(l.parent) ?? []), l.child]);
    indeg.set(l.child, (indeg.get(l.child) ?? 0) + 1);
  }
  // Longest-path layering over a DFS that ignores back edges.
  const level = new Map<string, number>();
  const state = new Map<string, 1 | 2>();
  const order: string[] = [];
  const visit = (start: string) => {
    const stack: Array<[string, number]> = [[start, 0]];
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [n, i] = top;
      if (i === 0) state.set(n, 1);
      const kids = out.get(n) ?? [];
      if (i < kids.length) {
        top[1]++;
        const k = kids[i];
        if (!state.has(k)) stack.push([k, 0]);
      } else {
        state.set(n, 2);
        order.push(n);
        stack.pop();
      }
    }
  };
  const sorted = [...nodes].sort();
  for (const n of sorted) if (!indeg.get(n)) visit(n);
  for (const n of sorted) if (!state.has(n)) visit(n);
  const pos = new Map(order.map((n, i) => [n, i]));
  for (const n of [...order].reverse()) {
    const l = level.get(n) ?? 0;
    level.set(n, l);
    for (const k of out.get(n) ?? []) {
      // A forward edge goes to a node finished earlier (later in reverse order).
      if ((pos.get(k) ?? 0) < (pos.get(n) ?? 0)) level.set(k, Math.max(level.get(k) ?? 0, l + 1));
    }
  }
  const columns: string[][] = [];
  for (const n of sorted) {
    const l = level.get(n) ?? 0;
    if (!columns[l]) columns[l] = [];
    columns[l].push(n);
  }
  return { columns: columns.filter(Boolean) };
}
