/**
 * The alert state machine. inactive → pending when the condition holds; pending → firing once it
 * has held for `for`; pending → inactive if it stops before that (nothing is sent); firing →
 * resolved only when the value is clear of the hysteresis band, so a value hovering at the
 * threshold neither flaps nor re-notifies. A resolved alert goes through pending again.
 */
import type { Observation } from './evaluate.js';

export type AlertStateName = 'inactive' | 'pending' | 'firing' | 'resolved';

export interface RuleState {
  state: AlertStateName;
  /** When the condition started holding (pending/firing), epoch ms. */
  activeSinceMs: number | null;
  firedAtMs: number | null;
  resolvedAtMs: number | null;
  lastEvaluatedMs: number | null;
}

export const initialState = (): RuleState => ({
  state: 'inactive',
  activeSinceMs: null,
  firedAtMs: null,
  resolvedAtMs: null,
  lastEvaluatedMs: null,
});

export interface Step {
  next: RuleState;
  /** Set when the state changed. */
  transition?: { from: AlertStateName; to: AlertStateName };
}

export function step(prev: RuleState, obs: Observation, nowMs: number, forMs: number): Step {
  const next: RuleState = { ...prev, lastEvaluatedMs: nowMs };
  const move = (to: AlertStateName): Step => ({
    next: { ...next, state: to },
    transition: { from: prev.state, to },
  });
  if (obs.value === null) return { next }; // too little data to judge either way
  switch (prev.state) {
    case 'inactive':
    case 'resolved': {
      if (!obs.breaching) return { next };
      next.activeSinceMs = nowMs;
      if (forMs <= 0) {
        next.firedAtMs = nowMs;
        return move('firing');
      }
      return move('pending');
    }
    case 'pending': {
      if (!obs.breaching) {
        next.activeSinceMs = null;
        return move('inactive');
      }
      if (nowMs - (prev.activeSinceMs ?? nowMs) >= forMs) {
        next.firedAtMs = nowMs;
        return move('firing');
      }
      return { next };
    }
    case 'firing': {
      if (!obs.clear) return { next };
      next.resolvedAtMs = nowMs;
      next.activeSinceMs = null;
      return move('resolved');
    }
  }
}
