import { useEffect, useState } from 'react';
import { getJson } from '../../api/client.js';
import { fillDetails } from '../../api/columns.js';
import type { DebugSpan, DebugSpanResponse } from '../../api/types.js';

export type SpanDetail =
  | { state: 'ok'; span: DebugSpan }
  | { state: 'loading'; span: DebugSpan }
  | { state: 'error'; span: DebugSpan; error: Error };

/**
 * The whole span for the details panel. Large requests load in outline (no attributes, resource,
 * events or links); the rest of a span is fetched when it is opened, once.
 */
export function useSpanDetail(span: DebugSpan): SpanDetail {
  const [state, setState] = useState<SpanDetail>(() =>
    span.outline ? { state: 'loading', span } : { state: 'ok', span },
  );
  useEffect(() => {
    if (!span.outline) {
      setState({ state: 'ok', span });
      return;
    }
    setState({ state: 'loading', span });
    const ctl = new AbortController();
    const path = `/api/debug/span/${encodeURIComponent(span.trace_id)}/${encodeURIComponent(span.span_id)}`;
    getJson<DebugSpanResponse>(path, {}, ctl.signal).then(
      (r) => {
        if (ctl.signal.aborted) return;
        fillDetails(span, r.span);
        setState({ state: 'ok', span });
      },
      (error: Error) => {
        if (!ctl.signal.aborted && error.name !== 'AbortError') {
          setState({ state: 'error', span, error });
        }
      },
    );
    return () => ctl.abort();
  }, [span]);
  return state.span === span ? state : { state: span.outline ? 'loading' : 'ok', span };
}
