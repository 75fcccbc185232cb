/**
 * The transport protocol pubsub speaks (SPEC.md section 5.9): the Plumtree messages of section 7,
 * routed by this name on the 'pubsub' stream class (below membership, above bulk streams). Declared
 * structurally, so pubsub needs no import of the transport package.
 */
export const PUBSUB_PROTOCOL = Object.freeze({ name: '/saorsa/pubsub/1', streamClass: 'pubsub' } as const)

export type PubSubProtocol = typeof PUBSUB_PROTOCOL
