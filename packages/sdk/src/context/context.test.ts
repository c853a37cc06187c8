import { describe, expect, it } from 'vitest';
import { getRequestId, runWithRequestId } from './context.js';

describe('request ID context', () => {
  it('flows through async work and never leaks between concurrent requests', async () => {
    const seen = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        runWithRequestId(`req_${i}`, async () => {
          await new Promise((r) => setTimeout(r, Math.random() * 5));
          await Promise.resolve();
          return [`req_${i}`, getRequestId()];
        }),
      ),
    );
    for (const [want, got] of seen) expect(got).toBe(want);
    expect(getRequestId()).toBeUndefined();
  });
});
