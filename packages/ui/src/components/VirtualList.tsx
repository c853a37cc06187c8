import { type ReactNode, useLayoutEffect, useRef, useState } from 'react';

/** Fixed-height rows, only those in view rendered. */
export function VirtualList({
  count,
  rowHeight,
  render,
  className,
  testId,
}: {
  count: number;
  rowHeight: number;
  render: (index: number, top: number) => ReactNode;
  className?: string;
  testId?: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const [top, setTop] = useState(0);
  const [height, setHeight] = useState(500);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    setHeight(el.clientHeight);
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const first = Math.max(0, Math.floor(top / rowHeight) - 10);
  const last = Math.min(count, Math.ceil((top + height) / rowHeight) + 10);
  const items: ReactNode[] = [];
  for (let i = first; i < last; i++) items.push(render(i, i * rowHeight));
  return (
    <div
      className={`vlist ${className ?? ''}`}
      ref={ref}
      onScroll={(e) => setTop(e.currentTarget.scrollTop)}
      data-testid={testId}
    >
      <div style={{ height: count * rowHeight, position: 'relative' }}>{items}</div>
    </div>
  );
}
