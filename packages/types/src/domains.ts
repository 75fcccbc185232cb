/**
 * Domain-separation tags for every signature in the protocol. A signature made for one purpose
 * can never verify for another, because the signed input starts with the purpose's tag
 * (`u8 length || tag || body`, see SPEC.md "Signatures"). Tags are ASCII and versioned.
 */
export const DOMAIN = Object.freeze({
  /** Origin signature on a published pubsub message header. */
  pubsubMessage: 'saorsa-gossip/pubsub-message/v1',
  /** Origin signature on a pubsub neighbour broadcast (sent to direct neighbours only, never forwarded). */
  pubsubNeighbor: 'saorsa-gossip/pubsub-neighbor/v1',
  /** Transcript signature of the secure-channel handshake. */
  handshake: 'saorsa-gossip/handshake/v1',
  /** Coordinator advert. */
  coordinatorAdvert: 'saorsa-gossip/coordinator-advert/v1',
  /** Test-only purpose, so tests never sign with a production tag. */
  test: 'saorsa-gossip/test/v1',
})

export type Domain = (typeof DOMAIN)[keyof typeof DOMAIN]
