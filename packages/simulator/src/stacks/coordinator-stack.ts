/**
 * The coordinator layer on top of a node's gossip stack, for the simulator: membership's neighbour
 * events feed the coordinator core, pubsub's validation requests for the layer's two topics get the
 * core's verdict (pubsub holds each message until then and forwards only accepted ones), deliveries
 * and `publish` events cross the same way, and FOAF travels as its own message layer (SPEC.md 9).
 */
import { ADDRESS_BOOK_TOPIC, COORDINATOR_TOPIC } from '@saorsa-gossip/coordinator'
import { CoordinatorCore } from '@saorsa-gossip/coordinator/proto'
import type {
  CoordinatorCommand, CoordinatorEvent, CoordinatorOutput, CoordinatorTimer, CoordinatorTopic, FoafMessage,
} from '@saorsa-gossip/coordinator/proto'
import type { PublishMessage } from '@saorsa-gossip/pubsub/proto'
import type { CoreInput, CoreOutput, Outbox, ProtocolCore, TopicId } from '@saorsa-gossip/types'
import type { GossipStack, StackCommand, StackEvent, StackMessage, StackOutput, StackTimer } from '@saorsa-gossip/node/stack'

export type CoordMessage = StackMessage | { readonly layer: 'f'; readonly msg: FoafMessage }
export type CoordTimer = StackTimer | { readonly layer: 'c'; readonly timer: CoordinatorTimer }
export type CoordCommand = StackCommand | { readonly layer: 'c'; readonly command: CoordinatorCommand }
export type CoordEvent = StackEvent | { readonly layer: 'c'; readonly event: CoordinatorEvent }
export type CoordInput = CoreInput<CoordMessage, CoordTimer, CoordCommand>
export type CoordOutput = CoreOutput<CoordMessage, CoordTimer, CoordEvent>
type Out = Outbox<CoordOutput>

export interface CoordinatorStackInit {
  readonly gossip: GossipStack
  readonly coordinator: CoordinatorCore
  /** Builds and signs our pubsub message carrying `payload` (the composition's publisher). */
  readonly publish: (topic: TopicId, payload: Uint8Array) => PublishMessage
}

function topicOf(topic: TopicId): CoordinatorTopic | undefined {
  if (topic.equals(COORDINATOR_TOPIC)) return 'adverts'
  if (topic.equals(ADDRESS_BOOK_TOPIC)) return 'address-book'
  return undefined
}

export class CoordinatorStack implements ProtocolCore<CoordMessage, CoordTimer, CoordCommand, CoordEvent> {
  readonly gossip: GossipStack
  readonly coordinator: CoordinatorCore
  /** Messages of our topics the validator did not accept (pubsub delivers and forwards none of them). */
  rejected = 0
  readonly #init: CoordinatorStackInit
  #requestId = 0

  constructor(init: CoordinatorStackInit) {
    this.#init = init
    this.gossip = init.gossip
    this.coordinator = init.coordinator
  }

  handle(input: CoordInput, nowMs: number, out: Out): void {
    switch (input.type) {
      case 'recv':
        if (input.msg.layer === 'f') return this.#coordinator({ type: 'recv', from: input.from, msg: input.msg.msg }, nowMs, out)
        return this.#gossip({ type: 'recv', from: input.from, msg: input.msg }, nowMs, out)
      case 'timer':
        if (input.timer.layer === 'c') return this.#coordinator({ type: 'timer', timer: input.timer.timer }, nowMs, out)
        return this.#gossip({ type: 'timer', timer: input.timer }, nowMs, out)
      case 'command':
        if (input.command.layer === 'c') return this.#coordinator({ type: 'command', command: input.command.command }, nowMs, out)
        return this.#gossip({ type: 'command', command: input.command }, nowMs, out)
      default:
        return this.#gossip(input, nowMs, out)
    }
  }

  #gossip(input: CoreInput<StackMessage, StackTimer, StackCommand>, nowMs: number, out: Out): void {
    const inner: StackOutput[] = []
    this.gossip.handle(input, nowMs, inner)
    for (const o of inner) {
      out.push(o)
      if (o.type !== 'emit') continue
      const e = o.event
      if (e.layer === 'membership') {
        if (e.event.type === 'neighbor-up' || e.event.type === 'neighbor-down') {
          this.#coordinator({ type: e.event.type === 'neighbor-up' ? 'peer-up' : 'peer-down', peer: e.event.peer }, nowMs, out)
        }
      } else if (e.event.type === 'validate') {
        // Pubsub holds the message until the coordinator layer's verdict: nothing is forwarded before.
        const topic = topicOf(e.event.request.topic)
        if (topic === undefined) continue
        const { validationId, request } = e.event
        this.#coordinator({ type: 'command', command: { type: 'validate', validationId, topic, origin: request.origin, payload: request.payload } }, nowMs, out)
      } else if (e.event.type === 'message') {
        const topic = topicOf(e.event.delivery.topic)
        const d = e.event.delivery
        if (topic !== undefined) this.#coordinator({ type: 'command', command: { type: 'deliver', topic, origin: d.origin, payload: d.payload } }, nowMs, out)
      }
    }
  }

  #coordinator(input: CoreInput<FoafMessage, CoordinatorTimer, CoordinatorCommand>, nowMs: number, out: Out): void {
    const inner: CoordinatorOutput[] = []
    this.coordinator.handle(input, nowMs, inner)
    for (const o of inner) {
      switch (o.type) {
        case 'send': out.push({ type: 'send', to: o.to, msg: { layer: 'f', msg: o.msg } }); break
        case 'schedule': out.push({ type: 'schedule', delayMs: o.delayMs, timer: { layer: 'c', timer: o.timer } }); break
        case 'disconnect': out.push(o); break
        case 'emit':
          out.push({ type: 'emit', event: { layer: 'c', event: o.event } })
          if (o.event.type === 'validated') {
            if (o.event.result !== 'accept') this.rejected++
            this.#gossip({ type: 'command', command: { layer: 'pubsub', command: { type: 'validated', validationId: o.event.validationId, result: o.event.result } } }, nowMs, out)
          } else if (o.event.type === 'publish') {
            const topic = o.event.topic === 'adverts' ? COORDINATOR_TOPIC : ADDRESS_BOOK_TOPIC
            const message = this.#init.publish(topic, o.event.payload)
            this.#gossip({ type: 'command', command: { layer: 'pubsub', command: { type: 'publish', topic, message, requestId: ++this.#requestId } } }, nowMs, out)
          }
      }
    }
  }
}

