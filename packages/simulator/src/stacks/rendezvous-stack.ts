/**
 * A node's stack with the rendezvous layer on top, as one sans-IO core for the simulator: the
 * gossip stack (HyParView + Plumtree) and the rendezvous core, wired as the shipped composition
 * wires them (docs/architecture.md section 7): rendezvous joins and leaves shard topics and
 * publishes on them through pubsub, pubsub's validation requests for shard topics go to the
 * rendezvous core and its verdicts back, and `/saorsa/rendezvous/1` messages travel directly.
 */
import type { PubSubCommand } from '@saorsa-gossip/pubsub/proto'
import { Publisher } from '@saorsa-gossip/pubsub/wire'
import type { RendezvousMessage } from '@saorsa-gossip/rendezvous'
import { RendezvousCore, shardTopicName, type RendezvousCommand, type RendezvousEvent, type RendezvousOutput, type RendezvousTimer } from '@saorsa-gossip/rendezvous/proto'
import { TopicId, type CoreInput, type CoreOutput, type Outbox, type ProtocolCore } from '@saorsa-gossip/types'
import type { GossipStack, StackCommand, StackEvent, StackMessage, StackOutput, StackTimer } from './gossip-stack.ts'

export type RvMessage = StackMessage | { readonly layer: 'r'; readonly msg: RendezvousMessage }
export type RvTimer = StackTimer | { readonly layer: 'r'; readonly timer: RendezvousTimer }
export type RvCommand = StackCommand | { readonly layer: 'r'; readonly command: RendezvousCommand }
export type RvEvent = StackEvent | { readonly layer: 'r'; readonly event: RendezvousEvent }
export type RvOutput = CoreOutput<RvMessage, RvTimer, RvEvent>

/**
 * Unix time of virtual time 0 for the rendezvous core (summaries carry absolute expiry times);
 * pubsub's wall clock in the simulator is virtual time itself, as in `pubsub-network.ts`.
 */
export const SIM_WALL_EPOCH_MS = 1_767_225_600_000
/** Validator timeout on shard topics (the pubsub default). */
const VALIDATION_TIMEOUT_MS = 2_000

export class RendezvousStack implements ProtocolCore<RvMessage, RvTimer, RvCommand, RvEvent> {
  readonly gossip: GossipStack
  readonly rendezvous: RendezvousCore
  readonly #publisher: Publisher
  /** Shard of each joined shard topic, by topic hex. */
  readonly #shards = new Map<string, number>()

  constructor(gossip: GossipStack, rendezvous: RendezvousCore, publisher: Publisher) {
    this.gossip = gossip
    this.rendezvous = rendezvous
    this.#publisher = publisher
  }

  handle(input: CoreInput<RvMessage, RvTimer, RvCommand>, nowMs: number, out: Outbox<RvOutput>): void {
    switch (input.type) {
      case 'recv':
        if (input.msg.layer === 'r') return this.#rendezvous({ type: 'recv', from: input.from, msg: input.msg.msg }, nowMs, out)
        return this.#gossip({ type: 'recv', from: input.from, msg: input.msg }, nowMs, out)
      case 'timer':
        if (input.timer.layer === 'r') return this.#rendezvous({ type: 'timer', timer: input.timer.timer }, nowMs, out)
        return this.#gossip({ type: 'timer', timer: input.timer }, nowMs, out)
      case 'command':
        if (input.command.layer === 'r') return this.#rendezvous({ type: 'command', command: input.command.command }, nowMs, out)
        return this.#gossip({ type: 'command', command: input.command }, nowMs, out)
      case 'peer-up':
      case 'peer-down':
        return this.#gossip(input, nowMs, out)
    }
  }

  #gossip(input: CoreInput<StackMessage, StackTimer, StackCommand>, nowMs: number, out: Outbox<RvOutput>): void {
    const inner: StackOutput[] = []
    this.gossip.handle(input, nowMs, inner)
    for (const o of inner) {
      out.push(o)
      if (o.type !== 'emit' || o.event.layer !== 'p' || o.event.event.type !== 'validate') continue
      const { validationId, request } = o.event.event
      const shard = this.#shards.get(request.topic.toHex())
      if (shard === undefined) continue
      this.#rendezvous({ type: 'command', command: { type: 'validate', validationId, shard, origin: request.origin, payload: request.payload } }, nowMs, out)
    }
  }

  #rendezvous(input: CoreInput<RendezvousMessage, RendezvousTimer, RendezvousCommand>, nowMs: number, out: Outbox<RvOutput>): void {
    const inner: RendezvousOutput[] = []
    this.rendezvous.handle(input, nowMs + SIM_WALL_EPOCH_MS, inner)
    for (const o of inner) {
      switch (o.type) {
        case 'send': out.push({ type: 'send', to: o.to, msg: { layer: 'r', msg: o.msg } }); break
        case 'schedule': out.push({ type: 'schedule', delayMs: o.delayMs, timer: { layer: 'r', timer: o.timer } }); break
        case 'disconnect': out.push(o); break
        case 'emit': this.#event(o.event, nowMs, out); break
      }
    }
  }

  #event(event: RendezvousEvent, nowMs: number, out: Outbox<RvOutput>): void {
    const p = (command: PubSubCommand): void => this.#gossip({ type: 'command', command: { layer: 'p', command } }, nowMs, out)
    switch (event.type) {
      case 'join': {
        const topic = TopicId.fromName(shardTopicName(event.shard))
        this.#shards.set(topic.toHex(), event.shard)
        p({ type: 'set-validator', topic, timeoutMs: VALIDATION_TIMEOUT_MS })
        p({ type: 'join', topic })
        break
      }
      case 'leave': {
        const topic = TopicId.fromName(shardTopicName(event.shard))
        p({ type: 'leave', topic })
        p({ type: 'remove-validator', topic })
        this.#shards.delete(topic.toHex())
        break
      }
      case 'publish': {
        const topic = TopicId.fromName(shardTopicName(event.shard))
        p({ type: 'publish', topic, message: this.#publisher.build(topic, event.bytes, nowMs), requestId: 0 })
        break
      }
      case 'verdict':
        p({ type: 'validated', validationId: event.validationId, result: event.verdict })
        break
      default:
        out.push({ type: 'emit', event: { layer: 'r', event } })
    }
  }
}
