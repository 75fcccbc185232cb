/**
 * The wire layer without the driver, for the simulator and tools (`@saorsa-gossip/pubsub/wire`):
 * the message codec and the publisher that builds and signs published messages.
 */
export { decodePubSubMessage, encodePubSubMessage, MAX_KEYS_PER_MESSAGE, MAX_SKETCH_CELLS, MAX_TOPICS_PER_MESSAGE } from './codec.ts'
export { Publisher, type SignHeader } from './publisher.ts'
