import type { WriteBatch } from '../../store/records.js';
import type { Store } from '../../store/store.js';
import { normaliseBatch } from './normalize.js';
import type { PriceTable } from './prices.js';

/**
 * The store as ingest sees it: every batch gets its AI fields (kind, model, tokens, cost)
 * before it is written. Everything else goes straight to the store.
 */
export function withAiNormalisation(store: Store, prices: PriceTable): Store {
  return {
    get kind() {
      return store.kind;
    },
    get reader() {
      return store.reader;
    },
    open: () => store.open(),
    write(batch: WriteBatch) {
      normaliseBatch(batch, prices);
      return store.write(batch);
    },
    enforceRetention: (policy) => store.enforceRetention(policy),
    stats: () => store.stats(),
    close: () => store.close(),
  };
}
