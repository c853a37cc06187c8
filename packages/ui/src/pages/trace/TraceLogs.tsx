import { useMemo, useState } from 'react';
import type { DebugLog, LogLevelName } from '../../api/types.js';
import { VirtualList } from '../../components/VirtualList.js';
import { serviceColor } from '../../lib/colors.js';
import { fmtDuration, fmtTime } from '../../lib/format.js';
import type { SpanNode, TraceModel } from './model.js';
import { spanKey } from './model.js';

const LEVELS: LogLevelName[] = ['debug', 'info', 'warn', 'error', 'fatal'];
const ROW_H = 26;

/** The request's log lines by time, filterable; a line with a span ID jumps to that span. */
export function TraceLogs({
  logs,
  model,
  onJump,
}: {
  logs: DebugLog[];
  model: TraceModel;
  onJump: (n: SpanNode) => void;
}) {
  const [text, setText] = useState('');
  const [level, setLevel] = useState<LogLevelName | ''>('');
  const [service, setService] = useState('');
  const services = useMemo(() => [...new Set(logs.map((l) => l.service))].sort(), [logs]);
  const shown = useMemo(() => {
    const needle = text.toLowerCase();
    const min = level ? LEVELS.indexOf(level) : 0;
    return logs.filter(
      (l) =>
        LEVELS.indexOf(l.level) >= min &&
        (!service || l.service === service) &&
        (!needle ||
          l.message.toLowerCase().includes(needle) ||
          (l.event ?? '').toLowerCase().includes(needle) ||
          JSON.stringify(l.attributes).toLowerCase().includes(needle)),
    );
  }, [logs, text, level, service]);

  const spanOf = (l: DebugLog) =>
    l.span_id
      ? (model.byKey.get(spanKey(l.trace_id, l.span_id)) ?? model.bySpanId.get(l.span_id))
      : undefined;

  return (
    <div className="trace-logs">
      <div className="toolbar">
        <input
          className="input"
          placeholder="Filter log lines"
          value={text}
          onChange={(e) => setText(e.target.value)}
          aria-label="Filter log lines"
        />
        <select
          className="input"
          value={level}
          onChange={(e) => setLevel(e.target.value as LogLevelName | '')}
          aria-label="Minimum level"
        >
          <option value="">all levels</option>
          {LEVELS.map((l) => (
            <option key={l} value={l}>
              {l}+
            </option>
          ))}
        </select>
        <select
          className="input"
          value={service}
          onChange={(e) => setService(e.target.value)}
          aria-label="Service"
        >
          <option value="">all services</option>
          {services.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <span className="muted">
          {shown.length} of {logs.length} lines
        </span>
      </div>
      {logs.length === 0 ? (
        <div className="empty muted">No log lines carry this request's IDs.</div>
      ) : (
        <VirtualList
          count={shown.length}
          rowHeight={ROW_H}
          className="log-rows"
          testId="trace-logs"
          render={(i, top) => {
            const l = shown[i];
            const span = spanOf(l);
            return (
              <div key={i} className={`log-row level-row-${l.level}`} style={{ top }} data-log-row>
                <span className="mono muted log-offset" title={fmtTime(l.timestamp_us)}>
                  +{fmtDuration((l.timestamp_us - model.startUs) / 1000)}
                </span>
                <span className={`level level-${l.level}`}>{l.level}</span>
                <span className="log-service" style={{ borderColor: serviceColor(l.service) }}>
                  {l.service}
                </span>
                {l.event && <span className="log-event">{l.event}</span>}
                <span className="log-message" title={l.message}>
                  {l.message}
                </span>
                {span ? (
                  <button
                    type="button"
                    className="btn btn-small log-jump"
                    onClick={() => onJump(span)}
                    title={`Show span ${span.span.name}`}
                  >
                    span →
                  </button>
                ) : null}
              </div>
            );
          }}
        />
      )}
    </div>
  );
}
