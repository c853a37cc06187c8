import { decodedChunks, type LineStats, MAX_LINE_BYTES, type Source } from './lines.js';

export interface ScanResult {
  /** Lines in the source (a last line without `\n` counts). */
  lines: number;
}

/**
 * Calls `onLine` for each line that contains one of `needles`, with its 1-based number. The
 * needles are searched in the raw bytes (Buffer.indexOf is native and fast); only lines that
 * contain one are decoded, so a multi-GB file costs little more than reading it, and memory is
 * one chunk plus one line.
 */
export async function scanForNeedles(
  source: Source,
  needles: string[],
  stats: LineStats,
  onLine: (line: string, lineNo: number) => void,
): Promise<ScanResult> {
  const patterns = [...new Set(needles)].map((n) => Buffer.from(n, 'utf8'));
  let carry: Buffer = Buffer.alloc(0);
  let skipping = false; // inside a line already over MAX_LINE_BYTES
  let lineNo = 0; // complete lines before the start of `buf`

  const scanRegion = (buf: Buffer, end: number) => {
    // Lines [0, end) of buf, each ending in \n (end is one past the last \n).
    const starts = new Set<number>();
    for (const pattern of patterns) {
      for (
        let at = buf.indexOf(pattern, 0);
        at !== -1 && at < end;
        at = buf.indexOf(pattern, at + 1)
      ) {
        starts.add(buf.lastIndexOf(10, at) + 1);
      }
    }
    let cursor = 0;
    let counted = lineNo;
    for (const start of [...starts].sort((a, b) => a - b)) {
      while (cursor < start) {
        const nl = buf.indexOf(10, cursor);
        counted++;
        cursor = nl + 1;
      }
      const nl = buf.indexOf(10, start);
      const line = buf.toString('utf8', start, nl > 0 && buf[nl - 1] === 13 ? nl - 1 : nl);
      onLine(line, counted + 1);
    }
    while (cursor < end) {
      const nl = buf.indexOf(10, cursor);
      counted++;
      cursor = nl + 1;
    }
    lineNo = counted;
  };

  for await (const chunk of await decodedChunks(source, stats)) {
    let buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    if (skipping) {
      const nl = buf.indexOf(10);
      if (nl === -1) {
        carry = Buffer.alloc(0);
        continue;
      }
      skipping = false;
      lineNo++;
      buf = buf.subarray(nl + 1);
    }
    const lastNl = buf.lastIndexOf(10);
    if (lastNl === -1) {
      if (buf.length > MAX_LINE_BYTES) {
        stats.oversized++;
        skipping = true;
        carry = Buffer.alloc(0);
      } else {
        carry = buf;
      }
      continue;
    }
    scanRegion(buf, lastNl + 1);
    // Copied, so the rest of the chunk is not kept alive by a small tail.
    carry = Buffer.from(buf.subarray(lastNl + 1));
  }
  if (carry.length > 0 && !skipping) {
    scanRegion(Buffer.concat([carry, Buffer.from('\n')]), carry.length + 1);
  }
  return { lines: lineNo };
}
