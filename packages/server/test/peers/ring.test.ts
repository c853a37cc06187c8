import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { normalisePeerUrl, PeerRing } from '../../src/pipeline/peers/index.js';

const PEERS = ['http://10.0.0.1:4318', 'http://10.0.0.2:4318', 'http://10.0.0.3:4318'];
const ids = Array.from({ length: 30_000 }, () => randomBytes(16).toString('hex'));

describe('PeerRing', () => {
  it('gives every collector the same owner whatever order or spelling the list has', () => {
    const a = new PeerRing(PEERS);
    const b = new PeerRing([
      'http://10.0.0.3:4318/',
      ' http://10.0.0.1:4318',
      'HTTP://10.0.0.2:4318',
    ]);
    expect(b.peers).toEqual(a.peers);
    for (const id of ids.slice(0, 1000)) expect(b.ownerOf(id)).toBe(a.ownerOf(id));
  });

  it('spreads traces over the peers within 15% of even', () => {
    const ring = new PeerRing(PEERS);
    const counts = new Map<string, number>();
    for (const id of ids) {
      const o = ring.ownerOf(id)!;
      counts.set(o, (counts.get(o) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(PEERS);
    for (const n of counts.values()) expect(Math.abs(n / (ids.length / 3) - 1)).toBeLessThan(0.15);
  });

  it('moves only the removed peer’s traces when one leaves', () => {
    const before = new PeerRing(PEERS);
    const after = new PeerRing(PEERS.slice(0, 2));
    for (const id of ids) {
      const o = before.ownerOf(id);
      if (o !== PEERS[2]) expect(after.ownerOf(id)).toBe(o);
    }
  });

  it('has no owner when empty, and refuses what is not a peer origin', () => {
    expect(new PeerRing([]).ownerOf(ids[0]!)).toBeUndefined();
    expect(() => normalisePeerUrl('grpc://10.0.0.1:4317')).toThrow(/must be an http/);
    expect(() => normalisePeerUrl('not a url')).toThrow(/is not a URL/);
    expect(() => normalisePeerUrl('http://h:4318/v1/traces')).toThrow(/without a path/);
  });
});
