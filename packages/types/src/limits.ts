/**
 * The limits table: every size and count cap on data that crosses a trust boundary, in one place.
 * SPEC.md section "Limits" reproduces this table; a test keeps the two in step.
 * Each cap states its reason, because a cap too small breaks honest peers and one too large
 * lets a hostile peer allocate memory or CPU for free.
 */
export const LIMITS = Object.freeze({
  /** ML-DSA-65 (FIPS 204 table 2): public key, secret key and signature sizes. */
  mldsa65PublicKeyBytes: 1952,
  mldsa65SecretKeyBytes: 4032,
  mldsa65SignatureBytes: 3309,
  /** ML-KEM-768 (FIPS 203 table 3): encapsulation key and ciphertext sizes. */
  mlkem768PublicKeyBytes: 1184,
  mlkem768CiphertextBytes: 1088,

  /** Membership frames carry ids and small counters only: 64 KiB is far above any honest frame. */
  maxMshipFrameBytes: 64 * 1024,
  /** One pubsub frame holds one message (payload cap + header + 3,309-byte signature) or one control batch. */
  maxPubsubFrameBytes: 80 * 1024,
  /** Bulk transfers are chunked to this size so one transfer never holds the link for long. */
  maxBulkFrameBytes: 256 * 1024,
  /** Handshake messages carry keys, a KEM ciphertext and a signature: about 9 KiB, capped at 16 KiB. */
  maxHandshakeBytes: 16 * 1024,

  /** Published payload cap: 64 KiB keeps a verify near 0.5 ms and a frame in one pubsub record; larger data goes to bulk. */
  maxPayloadBytes: 64 * 1024,
  /** Message ids per IHAVE batch (reference value, saorsa-gossip pubsub). */
  maxIhaveIds: 1024,
  /** Message ids per IWANT request. */
  maxIwantIds: 256,
  /** Peer ids per SHUFFLE / SHUFFLE_REPLY (shuffle exchanges a quarter of a 128-entry passive view, with margin). */
  maxShuffleIds: 64,
  /** Piggybacked SWIM membership updates per ping or ack. */
  maxSwimUpdates: 32,
  /** Address strings: `tcp://[v6]:port` fits comfortably. */
  maxAddressLength: 256,
  /** Addresses advertised by one peer. */
  maxAddressesPerPeer: 8,
  /** Topic name length accepted from users (bytes of UTF-8). */
  maxTopicNameBytes: 256,

  /** A keystore file holds one encrypted ML-DSA-65 key pair plus metadata. */
  maxKeystoreFileBytes: 64 * 1024,
  /** Keystore alias length. */
  maxAliasLength: 64,
})

export type Limits = typeof LIMITS
