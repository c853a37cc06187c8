import { type RefObject, useEffect, useState } from 'react';

/** The element's content width, following resizes (charts draw in real pixels). */
export function useWidth(ref: RefObject<HTMLElement | null>, initial = 800): number {
  const [w, setW] = useState(initial);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    setW(el.clientWidth || initial);
    const ro = new ResizeObserver(() => setW(el.clientWidth || initial));
    ro.observe(el);
    return () => ro.disconnect();
  }, [ref, initial]);
  return w;
}
