import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { ProtoWriter } from './proto-writer.js';

/** Nested length-delimited bodies written by protobufjs: the reference bytes. */
function reference(lengths: number[]): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 2).fork();
  for (const n of lengths) {
    w.uint32((2 << 3) | 2).fork();
    for (let i = 0; i < n; i++) w.uint32(i % 100);
    w.ldelim();
  }
  return w.ldelim().finish();
}

describe('ProtoWriter', () => {
  it('writes the same length prefixes whatever length it reserved for a body', () => {
    const lengths = [0, 1, 127, 128, 129, 16_383, 16_384, 16_385, 2_097_151, 2_097_152];
    for (const reserved of [1, 2, 3] as const) {
      // a small buffer, so bodies also move while it grows
      const w = new ProtoWriter(16);
      w.tag(1, 2);
      const outer = w.begin(reserved);
      for (const n of lengths) {
        w.tag(2, 2);
        const inner = w.begin(reserved);
        for (let i = 0; i < n; i++) w.varint(i % 100);
        w.end(inner);
      }
      w.end(outer);
      expect(
        Buffer.from(w.finish()).equals(Buffer.from(reference(lengths))),
        `reserved ${reserved}`,
      ).toBe(true);
    }
  });
});
