import { useEffect, useState } from 'react';
import { getJson } from '../../api/client.js';
import type { AlertExample, AlertStateView, AlertsResponse } from '../../api/types.js';
import { ErrorMessage } from '../../components/ErrorMessage.js';
import { fmtDuration, fmtPct } from '../../lib/format.js';
import { Link, traceHref } from '../../lib/router.js';
import { useApi } from '../../lib/useApi.js';
import { RulesEditor } from './RulesEditor.js';

/** Issue 12: rules, their states, firing alerts with the requests that caused them, history. */
export function AlertsPage() {
  // The evaluator runs on a schedule; refresh on a similar beat so a firing alert shows up.
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => setTick((n) => n + 1), 5000);
    return () => clearInterval(t);
  }, []);
  const res = useApi((s) => getJson<AlertsResponse>('/api/alerts', {}, s), [tick]);
  const data = res.data;
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);

  return (
    <div className="page">
      <div className="page-head">
        <h2>Alerts</h2>
        {data?.enabled && (
          <span className="muted">
            evaluated every {fmtDuration(data.evaluation_interval_ms)} · {data.evaluations} rounds
            {data.last_evaluation
              ? ` · last ${new Date(data.last_evaluation).toLocaleTimeString()}`
              : ''}
          </span>
        )}
        {data?.enabled && !editing && (
          <button
            type="button"
            className="btn btn-small"
            data-testid="edit-rules"
            onClick={() => {
              setSaved(null);
              setEditing(true);
            }}
          >
            Edit rules
          </button>
        )}
      </div>
      {editing && (
        <RulesEditor
          onCancel={() => setEditing(false)}
          onSaved={(status) => {
            setEditing(false);
            setSaved(`Rules saved: ${status.rules.length} in force, evaluated at once.`);
            setTick((n) => n + 1); // reload the page's state from the server
          }}
        />
      )}
      {saved && (
        <div className="card muted" role="status" data-testid="rules-saved">
          {saved}
        </div>
      )}
      {res.state === 'error' && <ErrorMessage error={res.error} what="alerts" />}
      {data && !data.enabled && (
        <section className="card empty-state" data-testid="alerts-off">
          <strong>Alerts are off on this server.</strong>
          <p className="muted">
            Start it with <code>hopscope serve --alerts rules.yaml</code> to evaluate error-rate,
            latency, spike, SLO burn-rate and no-data rules.
          </p>
        </section>
      )}
      {data?.last_error && (
        <div className="error-box" role="alert">
          <strong>The last evaluation failed</strong>
          <div>{data.last_error}</div>
        </div>
      )}
      {data?.enabled && <Firing data={data} />}
      {data?.enabled && <Rules data={data} />}
      {data?.enabled && <History data={data} />}
    </div>
  );
}

function Firing({ data }: { data: AlertsResponse }) {
  const firing = data.states.filter((s) => s.state === 'firing');
  return (
    <section className="card" data-testid="alerts-firing">
      <div className="card-title">Firing ({firing.length})</div>
      {firing.length === 0 && <p className="muted">Nothing is firing.</p>}
      {firing.map((s) => (
        <div key={s.rule} className="firing-alert" data-testid="firing-alert">
          <div>
            <span className="alert-state state-firing">firing</span> <strong>{s.rule}</strong>{' '}
            <span className="muted">{s.summary ?? valueText(s)}</span>
          </div>
          <Examples examples={s.examples} />
        </div>
      ))}
    </section>
  );
}

function Examples({ examples }: { examples: AlertExample[] }) {
  if (examples.length === 0) return null;
  return (
    <div className="alert-examples">
      <span className="muted">example requests: </span>
      {examples.map((e) => (
        <Link key={e.request_id} to={traceHref(e.request_id)} className="mono alert-example">
          {e.request_id}
        </Link>
      ))}
    </div>
  );
}

function Rules({ data }: { data: AlertsResponse }) {
  const states = new Map(data.states.map((s) => [s.rule, s]));
  return (
    <section className="card">
      <div className="card-title">Rules ({data.rules.length})</div>
      <table className="table" data-testid="alert-rules">
        <thead>
          <tr>
            <th>State</th>
            <th>Rule</th>
            <th>Kind</th>
            <th>Scope</th>
            <th className="num">Value</th>
            <th className="num">Threshold</th>
            <th>Window</th>
            <th>For</th>
            <th>Severity</th>
          </tr>
        </thead>
        <tbody>
          {data.rules.map((r) => {
            const s = states.get(r.name);
            const state = s?.state ?? 'inactive';
            return (
              <tr key={r.name} data-rule={r.name}>
                <td>
                  <span className={`alert-state state-${state}`}>{state}</span>
                </td>
                <td title={r.description ?? undefined}>{r.name}</td>
                <td>{r.kind.replace('_', ' ')}</td>
                <td>
                  {[r.service, r.operation, ...r.where.map((w) => `${w.key}=${w.value}`)]
                    .filter(Boolean)
                    .join(' · ') || <span className="muted">all</span>}
                </td>
                <td className="num">{s ? fmtValue(s.value, s.unit) : '–'}</td>
                <td className="num">{s ? fmtValue(s.threshold, s.unit) : '–'}</td>
                <td>{s?.window ?? '–'}</td>
                <td>{r.for}</td>
                <td>{r.severity}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

function History({ data }: { data: AlertsResponse }) {
  return (
    <section className="card">
      <div className="card-title">History</div>
      {data.history.length === 0 ? (
        <p className="muted">No state changes yet.</p>
      ) : (
        <table className="table" data-testid="alert-history">
          <thead>
            <tr>
              <th>Time</th>
              <th>Rule</th>
              <th>Change</th>
              <th className="num">Value</th>
              <th>Summary</th>
              <th>Requests</th>
            </tr>
          </thead>
          <tbody>
            {data.history.slice(0, 100).map((h) => (
              <tr key={`${h.evaluation}:${h.rule}`}>
                <td className="mono">{new Date(h.time).toLocaleString()}</td>
                <td>{h.rule}</td>
                <td>
                  <span className={`alert-state state-${h.from}`}>{h.from}</span> →{' '}
                  <span className={`alert-state state-${h.to}`}>{h.to}</span>
                </td>
                <td className="num">{fmtValue(h.value, h.unit)}</td>
                <td>{h.summary}</td>
                <td>
                  <Examples examples={h.examples} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function fmtValue(v: number | null, unit: AlertStateView['unit']): string {
  if (v === null) return '–';
  if (unit === 'ratio') return fmtPct(v);
  if (unit === 'ms') return fmtDuration(v);
  if (unit === 'burn_rate') return `${v.toFixed(1)}×`;
  if (unit === 'seconds_silent') return `${Math.round(v)}s silent`;
  return String(v);
}

function valueText(s: AlertStateView): string {
  return `${fmtValue(s.value, s.unit)} over ${s.window ?? '–'} (threshold ${fmtValue(s.threshold, s.unit)})`;
}
