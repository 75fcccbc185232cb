/** The peer cache lives in the coordinator layer (one place that remembers good peers); re-exported for existing imports. */
export {
  MAX_PEER_CACHE_ENTRIES, MAX_PEER_CACHE_FILE_BYTES, PEER_CACHE_MAX_AGE_MS, PEER_CACHE_MAX_FAILURES, PEER_CACHE_VERSION,
  PeerCache, decodePeerCache, encodePeerCache, type PeerCacheEntry, type PeerCacheLoadProblem,
} from '@saorsa-gossip/coordinator'
