import { type MouseEvent, type ReactNode, useMemo, useSyncExternalStore } from 'react';

// A few routes do not need a router library: the History API plus one event.
const listeners = new Set<() => void>();
const notify = () => {
  for (const l of listeners) l();
};
window.addEventListener('popstate', notify);

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === location.pathname + location.search) return;
  if (opts.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  notify();
}

export function useLocation(): { path: string; search: URLSearchParams; href: string } {
  const href = useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => location.pathname + location.search,
  );
  // One object per URL: pages use `search` as an effect dependency.
  return useMemo(() => {
    const url = new URL(href, location.origin);
    return { path: url.pathname, search: url.searchParams, href };
  }, [href]);
}

export function Link(props: {
  to: string;
  children: ReactNode;
  className?: string;
  title?: string;
  onClick?: () => void;
}) {
  const click = (e: MouseEvent) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    props.onClick?.();
    navigate(props.to);
  };
  return (
    <a href={props.to} className={props.className} title={props.title} onClick={click}>
      {props.children}
    </a>
  );
}

/** A path for the request view of a request ID, trace ID or traceparent. */
export function traceHref(id: string, span?: string): string {
  const base = `/trace/${encodeURIComponent(id)}`;
  return span ? `${base}?span=${encodeURIComponent(span)}` : base;
}
