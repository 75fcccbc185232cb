/**
 * The edge between pubsub and crdt-sync (docs/architecture.md section 7; SPEC.md section 12): an
 * opened document joins its topic `crdt/<name>` with a validator that accepts a `delta` only from
 * the origin whose changes it carries, a published delta becomes a signed pubsub message, delivered
 * deltas go to the document's sync core, and the topic's tree neighbours are the document's
 * anti-entropy neighbours. The shipped stack core calls these rules; the node's crdt-sync service
 * applies the same checks to the pubsub driver.
 */
import type { DocMessage, DocsCommand, DocsEvent } from '@saorsa-gossip/crdt-sync/proto'
import { decodeSyncFrame, encodeSyncFrame, topicDeltaVerdict } from '@saorsa-gossip/crdt-sync/wire'
import { DecodeError, TopicId, type PeerId } from '@saorsa-gossip/types'

/** What the pubsub side offers crdt-sync. */
export interface DocTopicSide {
  /** Registers the topic's validator, then joins it. */
  joinDocTopic(topic: TopicId): void
  leaveDocTopic(topic: TopicId): void
  publishOnDocTopic(topic: TopicId, bytes: Uint8Array): void
  answerValidation(validationId: number, verdict: 'accept' | 'reject'): void
}

/** What the crdt side accepts from pubsub. */
export interface DocCoreSide {
  command(command: DocsCommand): void
  deliver(doc: string, from: PeerId, payload: Uint8Array): void
}

/** A crdt command that opens or closes a document also joins or leaves its topic. */
export function onCrdtCommand(pubsub: DocTopicSide, command: DocsCommand): void {
  if (command.type === 'open') pubsub.joinDocTopic(TopicId.fromHex(command.doc))
  else if (command.type === 'close') pubsub.leaveDocTopic(TopicId.fromHex(command.doc))
}

/** Applies a crdt event to pubsub; returns false for events that are the application's. */
export function onCrdtEvent(pubsub: DocTopicSide, event: DocsEvent): boolean {
  if (event.type !== 'publish') return false
  const topic = TopicId.fromHex(event.doc)
  pubsub.publishOnDocTopic(topic, encodeSyncFrame({ doc: topic, msg: event.msg }))
  return true
}

/** The verdict on a message of an open document's topic: crdt-sync's own rule (`topicDeltaVerdict`), as the node's service applies it. */
export function docTopicVerdict(topic: TopicId, origin: PeerId, payload: Uint8Array): 'accept' | 'reject' {
  try {
    return topicDeltaVerdict(topic, origin, decodeSyncFrame(payload, 'topic')) === 'accept' ? 'accept' : 'reject'
  } catch (err) {
    if (err instanceof DecodeError) return 'reject'
    throw err
  }
}

/** A delivery on an open document's topic goes to its core; the neighbour it came from answers gap requests. */
export function onDocTopicMessage(crdt: DocCoreSide, doc: string, from: PeerId, payload: Uint8Array): void {
  crdt.deliver(doc, from, payload)
}

/** Tree neighbours of a document's topic are its anti-entropy neighbours. */
export function onDocTopicPeer(crdt: DocCoreSide, doc: string, peer: PeerId, up: boolean): void {
  crdt.command({ type: up ? 'neighbour-up' : 'neighbour-down', doc, peer })
}

/** Wire bytes of a sync message (its frame), for byte accounting. */
export function docMessageBytes(m: DocMessage): number {
  return encodeSyncFrame({ doc: TopicId.fromHex(m.doc), msg: m.msg }).length
}
