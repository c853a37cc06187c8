import { useSyncExternalStore } from 'react';

// Bumped when a token is entered so every page reloads its data with it.
let epoch = 0;
const listeners = new Set<() => void>();

export function bumpAuthEpoch(): void {
  epoch++;
  for (const l of listeners) l();
}

export function useAuthEpoch(): number {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => epoch,
  );
}
