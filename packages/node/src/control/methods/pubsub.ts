/**
 * Pubsub control methods beyond the core ones of SPEC.md section 8.1 (section 8.1.1): `pubsub.trees`,
 * the Plumtree tree of every joined topic as this node holds it, for the topology page.
 */
import { exactKeys } from './params.ts'
import type { ControlMethodsFactory } from './types.ts'

export const pubsubMethods: ControlMethodsFactory = (node) => ({
  'pubsub.trees': {
    parse: (p, id) => (exactKeys(p, [], id), {}),
    run: () => node.topicTrees(),
  },
})
