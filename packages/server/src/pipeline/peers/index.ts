export {
  FORWARDED_HEADER,
  type ForwardCounts,
  type ForwarderOptions,
  PeerForwarder,
} from './forwarder.js';
export { registerPeerMetrics } from './metrics.js';
export { normalisePeerUrl, PeerRing } from './ring.js';
export { arrivedFromPeer, PeerRouting, type PeerStatus, withPeerRouting } from './routing.js';
