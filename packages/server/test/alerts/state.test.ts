/** The state machine: `for` before firing, no flapping around the threshold, one change at a time. */
import { describe, expect, it } from 'vitest';
import type { Observation } from '../../src/alerts/evaluate.js';
import { type AlertStateName, initialState, type RuleState, step } from '../../src/alerts/state.js';

/** An error-rate observation against a 0.2 threshold with 10% hysteresis. */
const obs = (value: number | null): Observation => ({
  value,
  threshold: 0.2,
  unit: 'ratio',
  breaching: value !== null && value > 0.2,
  clear: value !== null && value <= 0.18,
  window: '5m',
  summary: '',
});

/** Runs values one evaluation (10 s) apart; returns the state after each and the transitions. */
function run(values: Array<number | null>, forMs: number) {
  let s: RuleState = initialState();
  const states: AlertStateName[] = [];
  const changes: string[] = [];
  values.forEach((v, i) => {
    const r = step(s, obs(v), i * 10_000, forMs);
    s = r.next;
    states.push(s.state);
    if (r.transition) changes.push(`${r.transition.from}→${r.transition.to}@${i}`);
  });
  return { states, changes };
}

describe('alert state machine', () => {
  it('fires at once with for: 0 and resolves once clear', () => {
    expect(run([0.1, 0.5, 0.5, 0.1], 0).changes).toEqual([
      'inactive→firing@1',
      'firing→resolved@3',
    ]);
  });

  it('waits `for` in pending, and a blip shorter than that never fires', () => {
    expect(run([0.5, 0.5, 0.1, 0.5, 0.5, 0.5], 20_000).changes).toEqual([
      'inactive→pending@0',
      'pending→inactive@2',
      'inactive→pending@3',
      'pending→firing@5',
    ]);
  });

  it('does not flap while the value hovers inside the hysteresis band', () => {
    const { states, changes } = run([0.5, 0.19, 0.21, 0.19, 0.2, 0.185, 0.17], 0);
    expect(changes).toEqual(['inactive→firing@0', 'firing→resolved@6']);
    expect(states.slice(0, 6).every((s) => s === 'firing')).toBe(true);
  });

  it('keeps its state when there is too little data to judge', () => {
    expect(run([0.5, null, null, 0.1], 0).changes).toEqual([
      'inactive→firing@0',
      'firing→resolved@3',
    ]);
  });

  it('a resolved alert goes through pending again before it re-fires', () => {
    expect(run([0.5, 0.5, 0.1, 0.5, 0.5], 10_000).changes).toEqual([
      'inactive→pending@0',
      'pending→firing@1',
      'firing→resolved@2',
      'resolved→pending@3',
      'pending→firing@4',
    ]);
  });
});
