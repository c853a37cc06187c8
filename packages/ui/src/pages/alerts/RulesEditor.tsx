import { type CSSProperties, useEffect, useRef, useState } from 'react';
import { ApiError, getJson, putText } from '../../api/client.js';
import type {
  AlertRuleProblem,
  AlertRulesErrorBody,
  AlertRulesSourceResponse,
  AlertsResponse,
} from '../../api/types.js';
import { ErrorMessage } from '../../components/ErrorMessage.js';
import { useApi } from '../../lib/useApi.js';

const LINE_PX = 20;
const PAD_PX = 8;
const font: CSSProperties = {
  fontFamily: 'var(--mono)',
  fontSize: 13,
  lineHeight: `${LINE_PX}px`,
};

/**
 * The rules file in a monospace editor. Saving sends the text to the server, which validates it
 * with the same loader as at startup: a refused text shows each problem beside the line it names
 * and nothing changes; a saved one is in force at once.
 */
export function RulesEditor({
  onSaved,
  onCancel,
}: {
  onSaved: (status: AlertsResponse) => void;
  onCancel: () => void;
}) {
  const source = useApi((s) => getJson<AlertRulesSourceResponse>('/api/alerts/rules', {}, s), []);
  const [text, setText] = useState<string | null>(null);
  const [problems, setProblems] = useState<AlertRuleProblem[]>([]);
  const [failure, setFailure] = useState<Error | null>(null);
  const [saving, setSaving] = useState(false);
  const [scrollTop, setScrollTop] = useState(0);
  const area = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    if (source.data && text === null) setText(source.data.text);
  }, [source.data, text]);

  if (source.state === 'error') return <ErrorMessage error={source.error} what="the rules" />;
  if (!source.data || text === null) return <p className="muted">Loading the rules…</p>;
  const { file, format } = source.data;

  async function save() {
    if (text === null) return;
    setSaving(true);
    setFailure(null);
    try {
      const status = await putText<AlertsResponse>(
        '/api/alerts/rules',
        text,
        format === 'json' ? 'text/plain' : 'application/yaml',
      );
      setProblems([]);
      onSaved(status);
    } catch (err) {
      const body =
        err instanceof ApiError ? (err.body as AlertRulesErrorBody | undefined) : undefined;
      const list = body?.error?.problems;
      if (list && list.length > 0) setProblems(list);
      else setFailure(err as Error);
    } finally {
      setSaving(false);
    }
  }

  function goTo(p: AlertRuleProblem) {
    const el = area.current;
    if (!el || p.line === null || text === null) return;
    const lines = text.split('\n');
    let offset = 0;
    for (let i = 0; i < p.line - 1 && i < lines.length; i++) offset += lines[i].length + 1;
    el.focus();
    el.setSelectionRange(offset + (p.column ?? 1) - 1, offset + (lines[p.line - 1]?.length ?? 0));
  }

  const lineCount = text.split('\n').length;
  const byLine = new Map<number, AlertRuleProblem[]>();
  for (const p of problems) {
    if (p.line !== null) byLine.set(p.line, [...(byLine.get(p.line) ?? []), p]);
  }

  return (
    <section className="card" data-testid="rules-editor">
      <div className="card-title">
        Edit rules <span className="muted mono">{file}</span>{' '}
        <span className="muted">({format.toUpperCase()})</span>
      </div>
      <div style={{ display: 'flex', border: '1px solid var(--line)', borderRadius: 4 }}>
        <div
          aria-hidden="true"
          style={{
            ...font,
            padding: `${PAD_PX}px 6px`,
            textAlign: 'right',
            color: 'var(--muted, #888)',
            background: 'var(--bg, #f6f7f9)',
            userSelect: 'none',
            overflow: 'hidden',
            height: 420,
            boxSizing: 'border-box',
            minWidth: 40,
          }}
        >
          <div style={{ transform: `translateY(${-scrollTop}px)` }}>
            {Array.from({ length: lineCount }, (_, i) => i + 1).map((n) => {
              const bad = byLine.has(n);
              return (
                <div
                  key={n}
                  data-line={n}
                  className={bad ? 'rule-line-error' : undefined}
                  style={bad ? { color: 'var(--error, #c62828)', fontWeight: 700 } : undefined}
                >
                  {bad ? '▶ ' : ''}
                  {n}
                </div>
              );
            })}
          </div>
        </div>
        <div style={{ position: 'relative', flex: 1, overflow: 'hidden' }}>
          <textarea
            ref={area}
            data-testid="rules-text"
            aria-label="Alert rules"
            spellCheck={false}
            wrap="off"
            value={text}
            onChange={(e) => setText(e.target.value)}
            onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
            style={{
              ...font,
              width: '100%',
              height: 420,
              padding: PAD_PX,
              border: 'none',
              outline: 'none',
              resize: 'none',
              boxSizing: 'border-box',
              whiteSpace: 'pre',
              background: 'transparent',
            }}
          />
          {[...byLine].map(([line, ps]) => {
            const top = PAD_PX + (line - 1) * LINE_PX - scrollTop;
            if (top < 0 || top > 420 - LINE_PX) return null;
            return (
              <div
                key={line}
                data-testid="rule-inline-error"
                data-line={line}
                style={{
                  ...font,
                  position: 'absolute',
                  right: 8,
                  top,
                  maxWidth: '60%',
                  overflow: 'hidden',
                  textOverflow: 'ellipsis',
                  whiteSpace: 'nowrap',
                  pointerEvents: 'none',
                  padding: '0 6px',
                  borderRadius: 3,
                  background: 'var(--error-soft, #fdecec)',
                  color: 'var(--error, #c62828)',
                }}
                title={ps.map((p) => p.message).join('\n')}
              >
                ◀ {ps.map((p) => p.message).join('; ')}
              </div>
            );
          })}
        </div>
      </div>
      {problems.length > 0 && (
        <div
          className="error-box"
          role="alert"
          data-testid="rules-problems"
          style={{ marginTop: 8 }}
        >
          <strong>Not saved: the server refused these rules</strong>
          {problems.map((p) => (
            <div key={`${p.line}:${p.column}:${p.message}`}>
              {p.line !== null ? (
                <button type="button" className="btn btn-small" onClick={() => goTo(p)}>
                  line {p.line}
                  {p.column !== null ? `:${p.column}` : ''}
                </button>
              ) : null}{' '}
              {p.message}
            </div>
          ))}
        </div>
      )}
      {failure && (
        <div style={{ marginTop: 8 }}>
          <ErrorMessage error={failure} what="the rules" />
        </div>
      )}
      <div style={{ display: 'flex', gap: 8, marginTop: 8 }}>
        <button
          type="button"
          className="btn btn-primary"
          data-testid="rules-save"
          disabled={saving}
          onClick={save}
        >
          {saving ? 'Saving…' : 'Save'}
        </button>
        <button type="button" className="btn" onClick={onCancel} disabled={saving}>
          Cancel
        </button>
        <span className="muted">
          Checked by the server before anything changes; the previous file is kept as {file}.bak.
        </span>
      </div>
    </section>
  );
}
