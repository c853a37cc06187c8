import {
  type KeyboardEvent,
  memo,
  type ReactNode,
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
} from 'react';
import type { DebugLog } from '../../api/types.js';
import { aiKind, aiName, decisionSummary, llmSummary, tokensText } from '../../lib/ai.js';
import { serviceColor } from '../../lib/colors.js';
import { fmtCount, fmtDuration } from '../../lib/format.js';
import type { SpanNode, TraceModel } from './model.js';

export const ROW_H = 24;
const OVERSCAN = 12;
const INDENT = 14;
const MAX_INDENT_LEVELS = 24;

interface Props {
  model: TraceModel;
  rows: SpanNode[];
  collapsed: Uint8Array;
  matches: Uint8Array | null;
  selected: SpanNode | null;
  showCritical: boolean;
  /** Bumped to scroll the selected row into view. */
  scrollToken: number;
  /** Log lines by span key, drawn as ticks on the bars. */
  logsBySpan: Map<string, DebugLog[]>;
  onToggle: (n: SpanNode) => void;
  onSelect: (n: SpanNode, fromKeyboard?: boolean) => void;
}

/**
 * Only the rows in view (plus a margin) exist in the DOM, each absolutely placed, so a 50,000-row
 * trace costs the same to scroll as a 50-row one.
 */
export function Waterfall(props: Props) {
  const { model, rows, selected, scrollToken } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    setHeight(el.clientHeight);
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: only an explicit request scrolls
  useEffect(() => {
    const el = scroller.current;
    if (!el || !selected) return;
    const i = rows.indexOf(selected);
    if (i < 0) return;
    const top = i * ROW_H;
    if (top < el.scrollTop || top + ROW_H > el.scrollTop + el.clientHeight) {
      el.scrollTop = Math.max(0, top - el.clientHeight / 3);
    }
  }, [scrollToken]);

  // Up/down move the selection, left/right collapse and expand, as in a file tree.
  const onKey = (e: KeyboardEvent) => {
    const i = selected ? rows.indexOf(selected) : -1;
    let next: SpanNode | undefined;
    if (e.key === 'ArrowDown') next = rows[Math.min(rows.length - 1, i + 1)];
    else if (e.key === 'ArrowUp') next = rows[Math.max(0, i - 1)];
    else if (selected && e.key === 'ArrowRight' && props.collapsed[selected.index])
      props.onToggle(selected);
    else if (selected && e.key === 'ArrowLeft') {
      if (selected.children.length && !props.collapsed[selected.index]) props.onToggle(selected);
      else if (selected.parent) next = selected.parent;
    } else return;
    e.preventDefault();
    if (next && next !== selected) props.onSelect(next, true);
  };

  const first = Math.max(0, Math.floor(scrollTop / ROW_H) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scrollTop + height) / ROW_H) + OVERSCAN);
  const total = Math.max(1, model.endUs - model.startUs);
  const items: ReactNode[] = [];
  for (let i = first; i < last; i++) {
    const n = rows[i];
    items.push(
      <Row
        key={n.index}
        node={n}
        top={i * ROW_H}
        startUs={model.startUs}
        totalUs={total}
        collapsed={props.collapsed[n.index] === 1 && !props.matches}
        match={props.matches ? props.matches[n.index] === 1 : null}
        selected={n === selected}
        showCritical={props.showCritical}
        logs={props.logsBySpan.get(n.key)}
        traceLabel={model.traceCount > 1 && n.parent === null}
        onToggle={props.onToggle}
        onSelect={props.onSelect}
      />,
    );
  }

  return (
    <div className="waterfall">
      <Ruler totalUs={total} />
      <div
        className="wf-scroll"
        ref={scroller}
        onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
        onKeyDown={onKey}
        role="tree"
        tabIndex={0}
        aria-label="Spans: arrow keys move, left and right collapse and expand"
        data-testid="waterfall"
        data-rows={rows.length}
      >
        <div className="wf-canvas" style={{ height: rows.length * ROW_H }}>
          {items}
        </div>
      </div>
    </div>
  );
}

function Ruler({ totalUs }: { totalUs: number }) {
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  return (
    <div className="wf-ruler">
      <div className="wf-label-col">Service · span</div>
      <div className="wf-time-col">
        {ticks.map((t) => (
          <span
            key={t}
            className="wf-tick"
            style={{ left: `${t * 100}%`, transform: t === 1 ? 'translateX(-100%)' : undefined }}
          >
            {t === 0 ? '0' : fmtDuration((t * totalUs) / 1000)}
          </span>
        ))}
      </div>
    </div>
  );
}

interface RowProps {
  node: SpanNode;
  top: number;
  startUs: number;
  totalUs: number;
  collapsed: boolean;
  match: boolean | null;
  selected: boolean;
  showCritical: boolean;
  logs: DebugLog[] | undefined;
  /** Roots say which trace they start when the request spans several. */
  traceLabel: boolean;
  onToggle: (n: SpanNode) => void;
  onSelect: (n: SpanNode) => void;
}

const MAX_TICKS = 24;

const KIND_LABEL = {
  llm: 'LLM',
  agent: 'agent',
  tool: 'tool',
  decision: 'decision',
  retrieval: 'retrieval',
  workflow: 'workflow',
} as const;

/** LLM, tool, agent and decision spans carry a distinct mark with what matters about them. */
function AiBadge({ span }: { span: SpanNode['span'] }) {
  const kind = aiKind(span);
  if (!kind) return null;
  let text: string | null = null;
  if (kind === 'llm') {
    const llm = llmSummary(span);
    const tokens = llm && tokensText(llm);
    text = llm ? `${llm.model ?? llm.provider ?? ''}${tokens ? ` · ${tokens}` : ''}` : null;
  } else if (kind === 'decision') {
    const d = decisionSummary(span.attributes);
    text = d ? `${d.type}${d.result ? ` → ${d.result}` : ''}` : null;
  } else if (kind === 'tool' || kind === 'agent') {
    text = aiName(span);
  }
  // The kind word comes from CSS (::before), so the badge's text stays the span's own facts.
  return (
    <span
      className={`ai-badge ai-${kind}`}
      data-ai-kind={kind}
      data-kind-label={KIND_LABEL[kind]}
      title={`${KIND_LABEL[kind]} span`}
    >
      {text ?? ''}
    </span>
  );
}

const Row = memo(function Row(p: RowProps) {
  const { node: n } = p;
  const s = n.span;
  const color = serviceColor(s.service);
  const left = ((n.startUs - p.startUs) / p.totalUs) * 100;
  const width = Math.max(((n.endUs - n.startUs) / p.totalUs) * 100, 0);
  // Duration beside the bar where there is room, else inside it.
  const labelAt = left + width < 84 ? 'right' : left > 14 ? 'left' : 'inside';
  const indent = Math.min(n.depth, MAX_INDENT_LEVELS) * INDENT;
  const cls = [
    'wf-row',
    p.selected ? 'selected' : '',
    n.error ? 'has-error' : '',
    p.match === false ? 'dimmed' : '',
    p.match === true ? 'matched' : '',
  ].join(' ');
  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: the tree takes the arrow keys (see onKey)
    <div
      className={cls}
      style={{ top: p.top }}
      onClick={() => p.onSelect(n)}
      data-span-id={s.span_id}
      role="treeitem"
      tabIndex={-1}
      aria-selected={p.selected}
      aria-level={n.depth + 1}
      aria-expanded={n.children.length ? !p.collapsed : undefined}
    >
      <div className="wf-label-col" style={{ paddingLeft: 6 + indent }}>
        {n.depth > MAX_INDENT_LEVELS && <span className="wf-depth">{n.depth}</span>}
        {n.children.length > 0 ? (
          <button
            type="button"
            className="wf-toggle"
            aria-label={p.collapsed ? 'Expand' : 'Collapse'}
            onClick={(e) => {
              e.stopPropagation();
              p.onToggle(n);
            }}
          >
            {p.collapsed ? '▸' : '▾'}
          </button>
        ) : (
          <span className="wf-toggle-space" />
        )}
        <span className="wf-service" style={{ borderColor: color }}>
          {s.service}
        </span>
        <span className="wf-name" title={s.name}>
          {s.name}
        </span>
        {p.traceLabel && (
          <span className="trace-chip mono" title={`trace ${s.trace_id}`}>
            trace {s.trace_id.slice(0, 8)}
          </span>
        )}
        {s.kind !== 'internal' && s.kind !== 'unspecified' && (
          <span className={`kind kind-${s.kind}`}>{s.kind}</span>
        )}
        {s.derived_from_logs && <span className="kind kind-logs">from logs</span>}
        <AiBadge span={s} />
        {n.error && (
          <span className="error-mark" title={s.status_message ?? 'error'}>
            !
          </span>
        )}
        {p.collapsed && <span className="wf-hidden">+{fmtCount(n.descendants)}</span>}
      </div>
      <div className="wf-time-col">
        <div
          className={`wf-bar${s.derived_from_logs ? ' derived' : ''}${p.showCritical && n.critical ? ' critical' : ''}${n.error ? ' error' : ''}`}
          style={{ left: `${left}%`, width: `${width}%`, backgroundColor: color }}
        />
        {p.logs?.slice(0, MAX_TICKS).map((l, i) => (
          <span
            // biome-ignore lint/suspicious/noArrayIndexKey: ticks are positional
            key={i}
            className={`wf-log-tick tick-${l.level}`}
            style={{ left: `${((l.timestamp_us - p.startUs) / p.totalUs) * 100}%` }}
            title={`${l.level}: ${l.message}`}
          />
        ))}
        <span
          className={`wf-dur${labelAt === 'inside' ? ' inside' : ''}`}
          style={
            labelAt === 'right'
              ? { left: `calc(${left + width}% + 6px)` }
              : labelAt === 'left'
                ? { right: `calc(${100 - left}% + 6px)` }
                : { right: `calc(${100 - left - width}% + 6px)` }
          }
        >
          {fmtDuration(s.duration_ms)}
        </span>
      </div>
    </div>
  );
});
