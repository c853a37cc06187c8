import { type CSSProperties, useCallback, useEffect, useRef, useState } from 'react';

export interface RequestIdBadgeProps {
  /** The request ID to show (from `response.hopscope.requestId`). */
  requestId: string;
  /** The model that answered, shown first (e.g. `claude-sonnet-4`). */
  model?: string;
  /** How long the answer took. */
  durationMs?: number;
  /** Start with the debug details open (uncontrolled). */
  defaultDebug?: boolean;
  /** Controlled debug state; pair with `onDebugChange`. */
  debug?: boolean;
  onDebugChange?: (debug: boolean) => void;
  /** A link to this request in the Hopscope UI, e.g. `id => '/r/' + id`. */
  href?: (requestId: string) => string;
  /** Called after the ID was copied (or the copy failed, with the error). */
  onCopy?: (requestId: string, error?: unknown) => void;
  className?: string;
  style?: CSSProperties;
}

const muted: CSSProperties = { color: '#6b7280', fontSize: '0.75rem' };
const button: CSSProperties = {
  font: 'inherit',
  fontSize: '0.75rem',
  padding: '0 0.4rem',
  border: '1px solid #d1d5db',
  borderRadius: 4,
  background: 'transparent',
  cursor: 'pointer',
};

/** `1234` → `1.2 s`, `87` → `87 ms`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

async function copyText(text: string): Promise<void> {
  const clipboard = (globalThis.navigator as Navigator | undefined)?.clipboard;
  if (clipboard?.writeText !== undefined) {
    await clipboard.writeText(text);
    return;
  }
  // older browsers and non-secure origins: a selected textarea and execCommand
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  if (!ok) throw new Error('copy was refused');
}

/**
 * The footer under an AI answer (seed 000 FR-5): model and duration, and a Debug toggle that
 * reveals the request ID with a copy button, so a user can paste `req_…` into a bug report.
 */
export function RequestIdBadge(props: RequestIdBadgeProps) {
  const { requestId, model, durationMs, href, onCopy } = props;
  const [ownDebug, setOwnDebug] = useState(props.defaultDebug ?? false);
  const debug = props.debug ?? ownDebug;
  const [copied, setCopied] = useState<'idle' | 'copied' | 'failed'>('idle');
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);

  const toggle = useCallback(() => {
    const next = !debug;
    if (props.debug === undefined) setOwnDebug(next);
    props.onDebugChange?.(next);
  }, [debug, props.debug, props.onDebugChange]);

  const copy = useCallback(() => {
    copyText(requestId).then(
      () => {
        setCopied('copied');
        onCopy?.(requestId);
      },
      (error: unknown) => {
        setCopied('failed');
        onCopy?.(requestId, error);
      },
    );
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setCopied('idle'), 2000);
  }, [requestId, onCopy]);

  const parts = [model, durationMs === undefined ? undefined : formatDuration(durationMs)].filter(
    (p): p is string => p !== undefined && p !== '',
  );
  return (
    <div
      className={props.className}
      style={{ display: 'flex', gap: '0.5rem', alignItems: 'center', ...muted, ...props.style }}
      data-hopscope-badge=""
    >
      {parts.length > 0 && <span data-hopscope-meta="">{parts.join(' · ')}</span>}
      <button
        type="button"
        style={debug ? { ...button, background: '#e5e7eb', color: '#111827' } : button}
        aria-pressed={debug}
        aria-label={debug ? 'Hide request ID' : 'Show request ID'}
        onClick={toggle}
        data-hopscope-debug-toggle=""
      >
        Debug
      </button>
      {debug && (
        <>
          {href === undefined ? (
            <code data-hopscope-request-id={requestId}>{requestId}</code>
          ) : (
            <a href={href(requestId)} data-hopscope-request-id={requestId}>
              <code>{requestId}</code>
            </a>
          )}
          <button
            type="button"
            style={button}
            onClick={copy}
            aria-label="Copy request ID"
            data-hopscope-copy=""
          >
            {copied === 'copied' ? 'Copied' : copied === 'failed' ? 'Copy failed' : 'Copy'}
          </button>
        </>
      )}
    </div>
  );
}

/** The same footer under the name chat UIs use for it. */
export const MessageFooter = RequestIdBadge;
