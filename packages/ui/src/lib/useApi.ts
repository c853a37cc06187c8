import { useEffect, useState } from 'react';
import type { ApiError } from '../api/client.js';
import { useAuthEpoch } from './auth.js';

export type Loadable<T> =
  | { state: 'loading'; data?: T }
  | { state: 'ok'; data: T }
  | { state: 'error'; error: ApiError | Error; data?: T };

/**
 * Runs `load` when its deps change (and after a token is entered), aborting the previous call;
 * keeps the last data while reloading so pages do not flash empty.
 */
export function useApi<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Loadable<T> {
  const epoch = useAuthEpoch();
  const [value, setValue] = useState<Loadable<T>>({ state: 'loading' });
  // biome-ignore lint/correctness/useExhaustiveDependencies: deps are the caller's
  useEffect(() => {
    const ctl = new AbortController();
    setValue((v) => ({ state: 'loading', data: v.data }));
    load(ctl.signal).then(
      (data) => {
        if (!ctl.signal.aborted) setValue({ state: 'ok', data });
      },
      (error: Error) => {
        if (!ctl.signal.aborted && error.name !== 'AbortError') {
          setValue((v) => ({ state: 'error', error, data: v.data }));
        }
      },
    );
    return () => ctl.abort();
  }, [...deps, epoch]);
  return value;
}
