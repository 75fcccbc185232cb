/**
 * The IBLT lives in @saorsa-gossip/types so that every layer reconciling sets of 32-byte ids
 * (pubsub anti-entropy, crdt-sync) shares one implementation; this module keeps pubsub's import path.
 */
export { Iblt, IBLT_CELL_BYTES, IBLT_HASHES, IBLT_KEY_BYTES, type IbltDifference } from '@saorsa-gossip/types'
