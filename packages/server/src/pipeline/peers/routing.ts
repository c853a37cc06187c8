import { AsyncLocalStorage } from 'node:async_hooks';
import type { PeersHealth } from '../../api/types.js';
import type { WriteBatch } from '../../store/records.js';
import type { Store } from '../../store/store.js';
import type { PeerForwarder } from './forwarder.js';
import { normalisePeerUrl, PeerRing } from './ring.js';

/** True while handling a request a peer forwarded: its records stay here, whoever owns them. */
export const arrivedFromPeer = new AsyncLocalStorage<boolean>();

/** `/api/health` → `peers`: the shape is the API's (src/api/types.ts). */
export type PeerStatus = PeersHealth;

/**
 * Trace-ID affinity: splits each batch by the owner of each record's trace on the ring, writes
 * this collector's share and forwards the rest, and waits for both, so an acknowledgement still
 * means every record was accepted by its owner.
 */
export class PeerRouting {
  private ring = new PeerRing([]);
  private selfUrl = '';
  private received = { spans: 0, logs: 0 };
  private keptAfterFailure = 0;

  constructor(
    readonly forwarder: PeerForwarder,
    private readonly onError: (err: unknown) => void = (err) =>
      process.emitWarning(`hopscope peers: ${String(err)}`),
  ) {}

  /** Sets the membership; `self` must be one of `peers` (every collector needs the same list). */
  setPeers(peers: readonly string[], self: string): void {
    const ring = new PeerRing(peers);
    const me = normalisePeerUrl(self);
    if (ring.peers.length > 0 && !ring.peers.includes(me)) {
      throw new Error(
        `this collector (${me}) is not in the peers list (${ring.peers.join(', ')}); pass --self with its URL as the peers list spells it`,
      );
    }
    this.ring = ring;
    this.selfUrl = me;
  }

  status(): PeerStatus {
    const c = this.forwarder.counts;
    return {
      self: this.selfUrl,
      peers: [...this.ring.peers],
      spans: { ...c.spans, received: this.received.spans },
      logs: { ...c.logs, received: this.received.logs },
      retries: c.retries,
      pending_records: this.forwarder.pendingRecords,
      kept_locally_after_failure: this.keptAfterFailure,
    };
  }

  async write(store: Store, batch: WriteBatch): Promise<void> {
    if (arrivedFromPeer.getStore() || this.ring.peers.length <= 1) {
      if (arrivedFromPeer.getStore()) {
        this.received.spans += batch.spans.length;
        this.received.logs += batch.logs.length;
      }
      return store.write(batch);
    }
    const local: WriteBatch = { spans: [], logs: [] };
    const remote = new Map<string, WriteBatch>();
    const target = (traceId: string | undefined): WriteBatch => {
      const owner = traceId && this.ring.ownerOf(traceId);
      if (!owner || owner === this.selfUrl) return local;
      let b = remote.get(owner);
      if (!b) {
        b = { spans: [], logs: [] };
        remote.set(owner, b);
      }
      return b;
    };
    for (const s of batch.spans) target(s.traceId).spans.push(s);
    // Log records follow their trace; those without one stay here.
    for (const l of batch.logs) target(l.traceId).logs.push(l);

    let remoteRecords = 0;
    for (const b of remote.values()) remoteRecords += b.spans.length + b.logs.length;
    this.forwarder.checkRoom(remoteRecords);
    const forwards = [...remote].map(([peer, b]) =>
      this.forwarder.send(peer, b.spans, b.logs).catch(async (err: unknown) => {
        // An unreachable owner must not lose acknowledged records: keep them here.
        this.onError(err);
        this.keptAfterFailure += b.spans.length + b.logs.length;
        await store.write(b);
      }),
    );
    await Promise.all([store.write(local), ...forwards]);
  }
}

/** Wraps the store the ingest queue writes into, like withTailSampling. */
export function withPeerRouting(store: Store, routing: PeerRouting): Store {
  return {
    get kind() {
      return store.kind;
    },
    get reader() {
      return store.reader;
    },
    open: () => store.open(),
    write: (batch) => routing.write(store, batch),
    enforceRetention: (policy) => store.enforceRetention(policy),
    stats: () => store.stats(),
    close: () => store.close(),
  };
}
