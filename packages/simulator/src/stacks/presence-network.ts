/**
 * Presence in the simulator: a PresenceCore beside every node's shipped stack (`@saorsa-gossip/node/stack`:
 * HyParView + SWIM under Plumtree),
 * wired as the presence service wires them (SPEC.md section 13): its beacon topics joined on pubsub
 * with a topic validator that hands each verified message to the core, its beacons published on
 * pubsub, its timers on virtual time. The presence cores run beside the simulated stacks rather
 * than inside them (presence is not yet a layer of the shipped stack); every beacon still travels as
 * a real pubsub message of the shipped stack through the simulated network.
 */
import { PRESENCE_WIRE } from '@saorsa-gossip/presence/wire'
import { PresenceCore, type PresenceConfig, type PresenceEvent, type PresenceInput, type PresenceOutput, type Verdict } from '@saorsa-gossip/presence/proto'
import type { ValidationRequest } from '@saorsa-gossip/pubsub/proto'
import type { PeerId } from '@saorsa-gossip/types'
import { PubSubNetwork, type PubSubNetworkInit } from './pubsub-network.ts'

/** 2026-03-22T07:00:00Z: virtual time 0 is the start of an hourly slice. */
export const PRESENCE_WALL0 = 1_774_162_800_000

export interface PresenceNetworkInit extends Omit<PubSubNetworkInit, 'validate'> {
  readonly presence?: Partial<PresenceConfig>
  /** Wall clock at virtual time 0 (default `PRESENCE_WALL0`). */
  readonly wall0?: number
}

export type MemberEvent = Extract<PresenceEvent, { type: 'member-online' | 'member-status' | 'member-offline' }>

export class PresenceNetwork {
  readonly net: PubSubNetwork
  readonly cores = new Map<string, PresenceCore>()
  /** Member events by the node that saw them, in virtual time order. */
  readonly events: Array<{ readonly time: number; readonly node: PeerId; readonly event: MemberEvent }> = []
  /** Verdicts of every validation, by result. */
  readonly verdicts: Record<Verdict, number> = { accept: 0, reject: 0, ignore: 0 }
  #requestId = 0
  #verdict: Verdict | undefined

  constructor(init: PresenceNetworkInit) {
    this.net = new PubSubNetwork({ ...init, validate: (node, request) => this.#validate(node, request) })
    for (const id of this.net.ids) {
      this.cores.set(id.toHex(), new PresenceCore({
        self: id, rng: this.net.sim.forkRng(`presence:${id.toHex()}`), wire: PRESENCE_WIRE,
        config: init.presence ?? {}, wallOffsetMs: init.wall0 ?? PRESENCE_WALL0,
      }))
    }
  }

  get ids(): PeerId[] {
    return this.net.ids
  }

  core(id: PeerId): PresenceCore {
    return this.cores.get(id.toHex())!
  }

  /** Gives `members` (default: every node) the group `name` with `secret`; the roster is `members`. */
  addGroup(name: string, secret: Uint8Array, members: readonly PeerId[] = this.ids, epoch = 1): void {
    for (const id of members) this.#feed(id, { type: 'command', command: { type: 'set-group', group: name, epoch, secret, members } })
  }

  setAddrs(id: PeerId, addrs: readonly string[]): void {
    this.#feed(id, { type: 'command', command: { type: 'set-addrs', addrs } })
  }

  announce(id: PeerId, group: string, status: 'online' | 'away' = 'online'): void {
    this.#feed(id, { type: 'command', command: { type: 'announce', group, status } })
  }

  withdraw(id: PeerId, group: string): void {
    this.#feed(id, { type: 'command', command: { type: 'withdraw', group } })
  }

  /** Feeds `id`'s presence core now; its outputs become pubsub commands, virtual timers and events. */
  input(id: PeerId, input: PresenceInput): PresenceOutput[] {
    return this.#feed(id, input)
  }

  #feed(id: PeerId, input: PresenceInput): PresenceOutput[] {
    const sim = this.net.sim
    const out: PresenceOutput[] = []
    this.core(id).handle(input, sim.now, out)
    for (const o of out) {
      if (o.type === 'schedule') {
        const timer = o.timer
        sim.at(sim.now + o.delayMs, () => {
          if (sim.isAlive(id)) this.#feed(id, { type: 'timer', timer })
        })
        continue
      }
      if (o.type !== 'emit') continue
      const event = o.event
      switch (event.type) {
        case 'join-topic':
          sim.command(id, { layer: 'pubsub', command: { type: 'set-validator', topic: event.topic, timeoutMs: 2_000 } })
          sim.command(id, { layer: 'pubsub', command: { type: 'join', topic: event.topic } })
          break
        case 'leave-topic':
          sim.command(id, { layer: 'pubsub', command: { type: 'leave', topic: event.topic } })
          sim.command(id, { layer: 'pubsub', command: { type: 'remove-validator', topic: event.topic } })
          break
        case 'publish':
          this.net.publish(id, event.topic, event.payload)
          break
        case 'verdict':
          this.#verdict = event.result
          break
        case 'find-answer':
          break
        default:
          this.events.push({ time: sim.now, node: id, event })
      }
    }
    return out
  }

  #validate(node: PeerId, request: ValidationRequest): Verdict {
    this.#verdict = undefined
    this.#feed(node, { type: 'command', command: { type: 'beacon', requestId: ++this.#requestId, topic: request.topic, origin: request.origin, payload: request.payload } })
    const verdict = this.#verdict ?? 'ignore'
    this.verdicts[verdict]++
    return verdict
  }
}
