/**
 * Well-known names of this layer (SPEC.md section 9.6): the pubsub topic adverts travel on, the
 * discovery topic of the address book, and the transport protocol FOAF queries and replies use.
 */
import { TopicId } from '@saorsa-gossip/types'

export const COORDINATOR_TOPIC_NAME = 'saorsa-gossip/coordinator-adverts/v1'
export const ADDRESS_BOOK_TOPIC_NAME = 'saorsa-gossip/address-book/v1'
export const FOAF_PROTOCOL = '/saorsa/foaf/1'

export const COORDINATOR_TOPIC: TopicId = TopicId.fromName(COORDINATOR_TOPIC_NAME)
export const ADDRESS_BOOK_TOPIC: TopicId = TopicId.fromName(ADDRESS_BOOK_TOPIC_NAME)
