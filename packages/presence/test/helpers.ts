/**
 * Test helpers: presence cores fed by hand, with outputs collected, and a helper that carries one
 * core's published beacons to another core's validator path as pubsub would.
 */
import { PeerId, SeededRng, TopicId, utf8 } from '@saorsa-gossip/types'
import { blake3 } from '@noble/hashes/blake3.js'
import { PRESENCE_WIRE } from '../src/codec.ts'
import { PresenceCore, type PresenceConfig, type PresenceEvent, type PresenceOutput, type PresenceTimer, type Verdict } from '../src/proto/index.ts'

/** 2026-03-22T07:00:00Z, the start of slice 492,823. */
export const WALL0 = 1_774_162_800_000
export const GROUP = 'friends'

export const peer = (name: string): PeerId => PeerId.fromPublicKey(utf8(name))
export const secretOf = (label: string): Uint8Array => blake3(utf8(label))

export class Node {
  readonly core: PresenceCore
  readonly id: PeerId
  now = 0
  readonly out: PresenceOutput[] = []
  #request = 0

  constructor(name: string, config: Partial<PresenceConfig> = {}, wallOffsetMs = WALL0) {
    this.id = peer(name)
    this.core = new PresenceCore({ self: this.id, rng: new SeededRng(name), wire: PRESENCE_WIRE, config, wallOffsetMs })
  }

  command(command: Parameters<PresenceCore['handle']>[0] extends infer I ? I extends { type: 'command'; command: infer C } ? C : never : never): PresenceOutput[] {
    const start = this.out.length
    this.core.handle({ type: 'command', command }, this.now, this.out)
    return this.out.slice(start)
  }

  timer(timer: PresenceTimer): PresenceOutput[] {
    const start = this.out.length
    this.core.handle({ type: 'timer', timer }, this.now, this.out)
    return this.out.slice(start)
  }

  events(type?: PresenceEvent['type']): PresenceEvent[] {
    return this.out.flatMap((o) => (o.type === 'emit' && (type === undefined || o.event.type === type) ? [o.event] : []))
  }

  /** Beacons this node published, oldest first. */
  published(): Array<{ topic: TopicId; payload: Uint8Array }> {
    return this.events('publish').map((e) => e as Extract<PresenceEvent, { type: 'publish' }>)
  }

  /** Offers a beacon to this node as pubsub's validator would; returns the verdict. */
  receive(beacon: { topic: TopicId; payload: Uint8Array }, origin: PeerId): Verdict {
    const requestId = ++this.#request
    const outs = this.command({ type: 'beacon', requestId, topic: beacon.topic, origin, payload: beacon.payload })
    const verdict = outs.find((o) => o.type === 'emit' && o.event.type === 'verdict')
    if (verdict?.type !== 'emit' || verdict.event.type !== 'verdict') throw new Error('no verdict')
    return verdict.event.result
  }
}

/** Adds `group` with `secret` and the given roster to every node. */
export function joinGroup(nodes: readonly Node[], secret: Uint8Array, epoch = 1, roster: readonly PeerId[] = nodes.map((n) => n.id)): void {
  for (const n of nodes) n.command({ type: 'set-group', group: GROUP, epoch, secret, members: roster })
}
