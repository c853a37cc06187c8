import { describe, expect, it } from 'vitest';
import type { Source } from '../src/input/lines.js';
import { scanForNeedles } from '../src/input/scan.js';

/** A source that hands out `text` in chunks of `size` bytes, to cut lines at every place. */
function chunked(text: string, size: number): Source {
  const bytes = Buffer.from(text);
  return {
    name: 'test',
    async *open() {
      for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
    },
  };
}

async function scan(text: string, size: number, needles: string[]) {
  const found: Array<[number, string]> = [];
  const stats = { bytesRead: 0, oversized: 0 };
  const { lines } = await scanForNeedles(chunked(text, size), needles, stats, (line, n) =>
    found.push([n, line]),
  );
  return { found, lines, stats };
}

describe('scanForNeedles', () => {
  const text = [
    'alpha req_1 one',
    'beta',
    'gamma req_1 and req_1 again',
    '',
    'délta ünïcode req_1\r',
    'epsilon REQ_1 (other case)',
    'last line req_1 without newline',
  ].join('\n');

  it.each([1, 2, 3, 7, 16, 1024])(
    'finds the same lines and numbers with %i-byte chunks',
    async (size) => {
      const { found, lines } = await scan(text, size, ['req_1']);
      expect(lines).toBe(7);
      expect(found).toEqual([
        [1, 'alpha req_1 one'],
        [3, 'gamma req_1 and req_1 again'],
        [5, 'délta ünïcode req_1'],
        [7, 'last line req_1 without newline'],
      ]);
    },
  );

  it('reports a line once when several needles match it', async () => {
    const { found } = await scan(text, 5, ['req_1', 'REQ_1', 'gamma']);
    expect(found.map(([n]) => n)).toEqual([1, 3, 5, 6, 7]);
  });

  it('counts lines when nothing matches, including empty input', async () => {
    expect((await scan(text, 4, ['nope'])).lines).toBe(7);
    expect((await scan('', 4, ['x'])).lines).toBe(0);
    expect((await scan('a\nb\n', 1, ['x'])).lines).toBe(2);
  });

  it('skips and counts a line over 16 MB without holding it, and keeps numbering', async () => {
    const huge = `req_1 ${'x'.repeat(17 * 1024 * 1024)}`;
    const { found, lines, stats } = await scan(`first req_1\n${huge}\nafter req_1\n`, 1024 * 1024, [
      'req_1',
    ]);
    expect(stats.oversized).toBe(1);
    expect(found).toEqual([
      [1, 'first req_1'],
      [3, 'after req_1'],
    ]);
    expect(lines).toBe(3);
  });
});
