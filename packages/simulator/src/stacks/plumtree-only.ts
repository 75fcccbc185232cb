/**
 * PubSub alone over a neighbour graph the scenario fixes (`overlay: 'regular'`), for studies of
 * Plumtree (SRDS 2007) without membership churn. It speaks the shipped stack's tagged messages and
 * applies the same neighbour rules (`onNeighborUp` / `onNeighborDown`); `peer-up` and `peer-down`
 * come from the scenario instead of from membership.
 */
import { onNeighborDown, onNeighborUp, type PubSubSide, type StackCommand, type StackEvent, type StackInput, type StackMessage, type StackOutput, type StackTimer } from '@saorsa-gossip/node/stack'
import type { PubSubCore, PubSubInput, PubSubOutput } from '@saorsa-gossip/pubsub/proto'
import type { Outbox, PeerId, ProtocolCore } from '@saorsa-gossip/types'

export class PlumtreeOnly implements ProtocolCore<StackMessage, StackTimer, StackCommand, StackEvent> {
  readonly pubsub: PubSubCore
  readonly #revealedKey: (peer: PeerId) => Uint8Array | undefined

  constructor(pubsub: PubSubCore, revealedKey: (peer: PeerId) => Uint8Array | undefined) {
    this.pubsub = pubsub
    this.#revealedKey = revealedKey
  }

  handle(input: StackInput, nowMs: number, out: Outbox<StackOutput>): void {
    const side: PubSubSide = {
      learnKey: (peer, publicKey) => this.#run({ type: 'command', command: { type: 'learn-key', peer, publicKey } }, nowMs, out),
      peerUp: (peer) => this.#run({ type: 'peer-up', peer }, nowMs, out),
      peerDown: (peer) => this.#run({ type: 'peer-down', peer }, nowMs, out),
    }
    switch (input.type) {
      case 'peer-up': return onNeighborUp(side, input.peer, this.#revealedKey(input.peer))
      case 'peer-down': return onNeighborDown(side, input.peer)
      case 'recv': if (input.msg.layer === 'pubsub') this.#run({ type: 'recv', from: input.from, msg: input.msg.msg }, nowMs, out); return
      case 'timer': if (input.timer.layer === 'pubsub') this.#run({ type: 'timer', timer: input.timer.timer }, nowMs, out); return
      case 'command': if (input.command.layer === 'pubsub') this.#run({ type: 'command', command: input.command.command }, nowMs, out); return
    }
  }

  #run(input: PubSubInput, nowMs: number, out: Outbox<StackOutput>): void {
    const outputs: PubSubOutput[] = []
    this.pubsub.handle(input, nowMs, outputs)
    for (const o of outputs) {
      switch (o.type) {
        case 'send': out.push({ type: 'send', to: o.to, msg: { layer: 'pubsub', msg: o.msg } }); break
        case 'schedule': out.push({ type: 'schedule', delayMs: o.delayMs, timer: { layer: 'pubsub', timer: o.timer } }); break
        case 'emit': out.push({ type: 'emit', event: { layer: 'pubsub', event: o.event } }); break
        case 'disconnect': out.push(o); break
      }
    }
  }
}
