import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../src/store/duckdb/group-commit.js';

/** Records what each transaction held; `fail` makes any transaction holding it throw. */
function recorder(fail = new Set<string>()) {
  const groups: string[][] = [];
  const steps = {
    prepare: (item: string) => {
      if (item === 'unencodable') throw new Error('cannot encode');
      return item.toUpperCase();
    },
    execute: async (prepared: string[]) => {
      await new Promise((r) => setTimeout(r, 5)); // a commit takes a while: others queue
      if (prepared.some((p) => fail.has(p))) throw new Error(`commit failed: ${prepared}`);
      groups.push(prepared);
    },
  };
  return { groups, group: new GroupCommit<string, string>(steps) };
}

describe('GroupCommit', () => {
  it('commits what arrives during a commit together, each write resolved after its commit', async () => {
    const { groups, group } = recorder();
    const first = group.submit('a');
    const rest = ['b', 'c', 'd'].map((x) => group.submit(x));
    await Promise.all([first, ...rest]);
    expect(groups).toEqual([['A'], ['B', 'C', 'D']]);
  });

  it('fails a write that cannot be prepared at once, alone', async () => {
    const { groups, group } = recorder();
    const results = await Promise.allSettled([
      group.submit('a'),
      group.submit('unencodable'),
      group.submit('b'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(groups.flat()).toEqual(['A', 'B']);
  });

  it('retries a failed group one write at a time, so only the bad one fails', async () => {
    const { groups, group } = recorder(new Set(['BAD']));
    const results = await Promise.allSettled(['a', 'b', 'bad', 'c'].map((x) => group.submit(x)));
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect(groups).toEqual([['A'], ['B'], ['C']]);
  });

  it('runs exclusive tasks between commits, and whenIdle waits for everything', async () => {
    const { groups, group } = recorder();
    let seenByTask: string[][] = [];
    const w1 = group.submit('a');
    const task = group.exclusive(async () => {
      seenByTask = groups.map((g) => [...g]);
    });
    const w2 = group.submit('b');
    await group.whenIdle();
    await Promise.all([w1, task, w2]);
    // 'b' was submitted before the task ran, yet commits after it: tasks keep their place.
    expect(seenByTask).toEqual([['A']]);
    expect(groups).toEqual([['A'], ['B']]);
  });

  it('retries a journaled write that fails, in order; once given up on, later journaled writes are refused uncommitted', async () => {
    const groups: string[][] = [];
    const seqs: (number | undefined)[] = [];
    let failures = 0;
    const group = new GroupCommit<string, string>({
      prepare: (item) => item,
      execute: async (prepared, lastSeq) => {
        await new Promise((r) => setTimeout(r, 2));
        if (prepared.includes('bad')) {
          failures++;
          throw new Error('disk full');
        }
        groups.push(prepared);
        seqs.push(lastSeq);
      },
      onRetry: () => {
        if (failures >= 2) group.stop();
      },
    });
    const results = await Promise.allSettled([
      group.submit('a', { seq: 1 }),
      group.submit('bad', { seq: 2 }),
      group.submit('c', { seq: 3 }),
      group.submit('log line'), // not journaled: acknowledged at its own commit
    ]);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'rejected',
      'rejected',
      'fulfilled',
    ]);
    expect(failures).toBeGreaterThanOrEqual(2); // retried before it was given up on
    // 'c' never committed: its journal position would have skipped 'bad' at the next replay.
    expect(groups.flat()).toEqual(['a', 'log line']);
    expect(seqs).toContain(1);
    expect(seqs).not.toContain(3);
    expect(group.committedSeq).toBe(1);
    expect((results[2] as PromiseRejectedResult).reason.message).toMatch(
      /journal record 2 could not be committed \(disk full\); it and later records stay in the journal/,
    );
  });
});
