/**
 * A node's gossip stack as one sans-IO core for the simulator: HyParView membership (DSN 2007)
 * feeding its neighbour events into the PubSub core (Plumtree, SRDS 2007), as iroh-gossip's
 * `proto/topic.rs` composes its two layers. Without membership the stack takes `peer-up` and
 * `peer-down` from the scenario directly (a fixed neighbour graph).
 */
import { HyParView } from '@saorsa-gossip/membership/proto'
import type { HyParViewCommand, HyParViewEvent, HyParViewMessage, HyParViewOutput, HyParViewTimer } from '@saorsa-gossip/membership/proto'
import { PubSubCore } from '@saorsa-gossip/pubsub/proto'
import type { PubSubCommand, PubSubEvent, PubSubMessage, PubSubOutput, PubSubTimer } from '@saorsa-gossip/pubsub/proto'
import type { CoreInput, CoreOutput, Outbox, PeerId, ProtocolCore } from '@saorsa-gossip/types'

export type StackMessage = { readonly layer: 'm'; readonly msg: HyParViewMessage } | { readonly layer: 'p'; readonly msg: PubSubMessage }
export type StackTimer = { readonly layer: 'm'; readonly timer: HyParViewTimer } | { readonly layer: 'p'; readonly timer: PubSubTimer }
export type StackCommand = { readonly layer: 'm'; readonly command: HyParViewCommand } | { readonly layer: 'p'; readonly command: PubSubCommand }
export type StackEvent = { readonly layer: 'm'; readonly event: HyParViewEvent } | { readonly layer: 'p'; readonly event: PubSubEvent }
export type StackInput = CoreInput<StackMessage, StackTimer, StackCommand>
export type StackOutput = CoreOutput<StackMessage, StackTimer, StackEvent>

/** Public keys as the transport handshake would reveal them: looked up when a neighbour comes up. */
export type KeyDirectory = (peer: PeerId) => Uint8Array | undefined

export class GossipStack implements ProtocolCore<StackMessage, StackTimer, StackCommand, StackEvent> {
  readonly pubsub: PubSubCore
  readonly membership: HyParView | undefined
  readonly #keys: KeyDirectory

  constructor(pubsub: PubSubCore, membership: HyParView | undefined, keys: KeyDirectory) {
    this.pubsub = pubsub
    this.membership = membership
    this.#keys = keys
  }

  handle(input: StackInput, nowMs: number, out: Outbox<StackOutput>): void {
    switch (input.type) {
      case 'recv':
        if (input.msg.layer === 'm') return this.#membership({ type: 'recv', from: input.from, msg: input.msg.msg }, nowMs, out)
        return this.#pubsub({ type: 'recv', from: input.from, msg: input.msg.msg }, nowMs, out)
      case 'timer':
        if (input.timer.layer === 'm') return this.#membership({ type: 'timer', timer: input.timer.timer }, nowMs, out)
        return this.#pubsub({ type: 'timer', timer: input.timer.timer }, nowMs, out)
      case 'command':
        if (input.command.layer === 'm') return this.#membership({ type: 'command', command: input.command.command }, nowMs, out)
        return this.#pubsub({ type: 'command', command: input.command.command }, nowMs, out)
      case 'peer-up':
      case 'peer-down':
        if (this.membership !== undefined) return this.#membership(input, nowMs, out)
        return this.#neighbor(input.type, input.peer, nowMs, out)
    }
  }

  #membership(input: CoreInput<HyParViewMessage, HyParViewTimer, HyParViewCommand>, nowMs: number, out: Outbox<StackOutput>): void {
    const inner: HyParViewOutput[] = []
    this.membership!.handle(input, nowMs, inner)
    for (const o of inner) {
      switch (o.type) {
        case 'send': out.push({ type: 'send', to: o.to, msg: { layer: 'm', msg: o.msg } }); break
        case 'schedule': out.push({ type: 'schedule', delayMs: o.delayMs, timer: { layer: 'm', timer: o.timer } }); break
        case 'disconnect': out.push(o); break
        case 'emit':
          out.push({ type: 'emit', event: { layer: 'm', event: o.event } })
          // Simulated contacts carry ids, never addresses, so the core never asks this stack to dial.
          if (o.event.type !== 'dial') this.#neighbor(o.event.type === 'neighbor-up' ? 'peer-up' : 'peer-down', o.event.peer, nowMs, out)
          break
      }
    }
  }

  #neighbor(type: 'peer-up' | 'peer-down', peer: PeerId, nowMs: number, out: Outbox<StackOutput>): void {
    if (type === 'peer-up') {
      const key = this.#keys(peer)
      if (key !== undefined) this.#pubsub({ type: 'command', command: { type: 'learn-key', peer, publicKey: key } }, nowMs, out)
    }
    this.#pubsub({ type, peer }, nowMs, out)
  }

  #pubsub(input: CoreInput<PubSubMessage, PubSubTimer, PubSubCommand>, nowMs: number, out: Outbox<StackOutput>): void {
    const inner: PubSubOutput[] = []
    this.pubsub.handle(input, nowMs, inner)
    for (const o of inner) {
      switch (o.type) {
        case 'send': out.push({ type: 'send', to: o.to, msg: { layer: 'p', msg: o.msg } }); break
        case 'schedule': out.push({ type: 'schedule', delayMs: o.delayMs, timer: { layer: 'p', timer: o.timer } }); break
        case 'emit': out.push({ type: 'emit', event: { layer: 'p', event: o.event } }); break
        case 'disconnect':
          out.push(o)
          // Scoring asked to drop the peer: membership replaces it from the passive view.
          if (this.membership !== undefined) this.#membership({ type: 'peer-down', peer: o.peer }, nowMs, out)
          break
      }
    }
  }
}
