/**
 * The presence service over an in-memory pubsub that runs topic validators as pubsub does (the
 * verdict decides delivery) and an in-memory FOAF router: members see each other online with
 * typed events, a clean stop shows as offline, an epoch change rereads the exporter, FIND_USER
 * returns the sealed addresses, falls back to rendezvous, and refuses without a route.
 */
import { describe, expect, it, vi } from 'vitest'
import { ManualClock, SeededRng, TopicId, type PeerId } from '@saorsa-gossip/types'
import { beaconTopic, sliceOf } from '../src/proto/index.ts'
import { createPresence, PRESENCE_DEFAULT, PRESENCE_EXPORTER_LABEL, sharedSecretGroup, type FoafRouter, type Presence, type PresenceGroup, type PresencePubSub, type Verdict } from '../src/index.ts'
import { peer, secretOf } from './helpers.ts'

type Validator = (m: { origin: PeerId; payload: Uint8Array }) => Verdict | Promise<Verdict>

class Bus {
  readonly validators = new Map<string, Map<string, Validator>>()
  readonly joined = new Map<string, Set<string>>()
  readonly verdicts: Verdict[] = []
  readonly pending: Array<Promise<unknown>> = []

  pubsub(self: PeerId): PresencePubSub {
    return {
      join: (t) => { this.#set(this.joined, t).add(self.toHex()) },
      leave: (t) => { this.#set(this.joined, t).delete(self.toHex()) },
      addValidator: (t, v) => { this.#map(t).set(self.toHex(), v) },
      removeValidator: (t) => { this.#map(t).delete(self.toHex()) },
      publish: async (t, data) => {
        for (const member of this.#set(this.joined, t)) {
          if (member === self.toHex()) continue
          const v = this.#map(t).get(member)
          if (v !== undefined) this.verdicts.push(await v({ origin: self, payload: data }))
        }
        return { outcome: 'sent' }
      },
    }
  }

  #map(t: TopicId): Map<string, Validator> {
    let m = this.validators.get(t.toHex())
    if (m === undefined) this.validators.set(t.toHex(), (m = new Map()))
    return m
  }

  #set(map: Map<string, Set<string>>, t: TopicId): Set<string> {
    let s = map.get(t.toHex())
    if (s === undefined) map.set(t.toHex(), (s = new Set()))
    return s
  }
}

/** Every node's FOAF answerer, asked directly (a one-hop stand-in for the coordinator). */
class Foaf {
  readonly answerers = new Map<string, NonNullable<Parameters<FoafRouter['answerUserQueries']>[0]>>()
  router(self: PeerId): FoafRouter {
    return {
      answerUserQueries: (answer) => {
        if (answer === undefined) this.answerers.delete(self.toHex())
        else this.answerers.set(self.toHex(), answer)
      },
      queryUser: async (target, payload) => {
        const replies: Uint8Array[] = []
        for (const [hex, answer] of this.answerers) {
          if (hex === self.toHex()) continue
          const reply = answer({ requester: self, target, payload })
          if (reply !== undefined) replies.push(reply)
        }
        return replies
      },
    }
  }
}

const flush = async () => { for (let i = 0; i < 5; i++) await Promise.resolve() }

async function cluster(names: string[], groupSecret = secretOf('svc')) {
  const bus = new Bus()
  const foaf = new Foaf()
  const clock = new ManualClock()
  const ids = names.map(peer)
  const group = { epoch: 1 as number, secret: groupSecret, exportSecret(label: string, length: number) {
    expect(label).toBe(PRESENCE_EXPORTER_LABEL)
    expect(length).toBe(32)
    return this.secret
  }, members: () => ids.map((peerId, leafIndex) => ({ peerId, leafIndex })) }
  const nodes: Presence[] = []
  for (const [i, id] of ids.entries()) {
    const p = createPresence({ addrs: [`tcp://10.0.0.${i + 1}:4001`] }, { peerId: id, pubsub: bus.pubsub(id), foaf: foaf.router(id), clock, rng: new SeededRng(names[i]!) })
    p.start()
    await p.addGroup('g', group as PresenceGroup)
    nodes.push(p)
  }
  return { bus, foaf, clock, ids, nodes, group }
}

describe('presence service', () => {
  it('shows every announcing member to the others with events, and a stopped one as offline', async () => {
    const { ids, nodes, bus } = await cluster(['a', 'b', 'c'])
    const seen: string[] = []
    nodes[0]!.addEventListener('member:online', (e) => seen.push((e as CustomEvent<{ member: PeerId }>).detail.member.toHex()))
    const left: string[] = []
    nodes[0]!.addEventListener('member:offline', (e) => left.push((e as CustomEvent<{ reason: string }>).detail.reason))
    for (const n of nodes) n.announce('g')
    await flush()
    expect(bus.verdicts.every((v) => v === 'accept')).toBe(true)
    expect(new Set(seen)).toEqual(new Set([ids[1]!.toHex(), ids[2]!.toHex()]))
    expect(nodes[0]!.online('g').map((m) => m.addrs[0]).sort()).toEqual(['tcp://10.0.0.2:4001', 'tcp://10.0.0.3:4001'])
    await nodes[2]!.stop()
    await flush()
    expect(left).toEqual(['left'])
    expect(nodes[0]!.online('g').map((m) => m.peer.toHex())).toEqual([ids[1]!.toHex()])
    expect(nodes[1]!.metrics().drops.replay).toBe(0)
  })

  it('rereads the exporter secret when the group\'s epoch moves, at the next timer, and joins the new epoch\'s topic', async () => {
    vi.useFakeTimers()
    try {
      const { ids, nodes, group, clock, bus } = await cluster(['a', 'b'])
      group.epoch = 2
      group.secret = secretOf('svc epoch 2')
      const slice = sliceOf(clock.wallNow(), PRESENCE_DEFAULT.sliceMs)
      const next = TopicId.fromBytes(beaconTopic(group.secret, slice)).toHex()
      expect(bus.validators.get(next)).toBeUndefined()
      // The 10 s expiry sweep is the next timer: the runtime checks epochs before feeding it.
      clock.advance(10_000)
      await vi.advanceTimersByTimeAsync(10_000)
      expect([...bus.validators.get(next)!.keys()].sort()).toEqual(ids.map((i) => i.toHex()).sort())
      nodes[0]!.announce('g')
      await flush()
      expect(nodes[1]!.online('g')).toHaveLength(1)
    } finally {
      vi.useRealTimers()
    }
  })

  it('finds a user through friends of friends with the answer sealed to the requester', async () => {
    const { ids, nodes } = await cluster(['a', 'b', 'c'])
    nodes[2]!.announce('g')
    await flush()
    const found = await nodes[0]!.find(ids[2]!)
    expect(found).toMatchObject({ via: 'foaf', addrs: ['tcp://10.0.0.3:4001'], status: 'online' })
  })

  it('falls back to the rendezvous shard, and says UserNotFoundError or FindUnavailableError when it cannot', async () => {
    const clock = new ManualClock()
    const bus = new Bus()
    const target = peer('far away')
    const withShard = createPresence({}, { peerId: peer('x'), pubsub: bus.pubsub(peer('x')), clock, rendezvous: { findUser: async (t) => (t.equals(target) ? ['tcp://192.0.2.9:4001'] : undefined) } })
    withShard.start()
    await expect(withShard.find(target)).resolves.toMatchObject({ via: 'rendezvous', addrs: ['tcp://192.0.2.9:4001'] })
    await expect(withShard.find(peer('nobody'))).rejects.toMatchObject({ name: 'UserNotFoundError' })
    const bare = createPresence({}, { peerId: peer('y'), pubsub: bus.pubsub(peer('y')), clock })
    bare.start()
    await expect(bare.find(target)).rejects.toMatchObject({ name: 'FindUnavailableError' })
    expect(() => bare.online('nope')).toThrow(expect.objectContaining({ name: 'UnknownGroupError' }))
    await expect(withShard.find(target, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' })
  })

  it('stops even when the stop is aborted before the offline beacons were handed over', async () => {
    const { nodes } = await cluster(['a', 'b'])
    nodes[0]!.announce('g')
    await nodes[0]!.stop({ signal: AbortSignal.abort() })
    expect(nodes[0]!.started).toBe(false)
    expect(() => nodes[0]!.online('g')).toThrow(expect.objectContaining({ name: 'NotStartedError' }))
  })

  it('refuses bad arguments by name', async () => {
    const { nodes } = await cluster(['a'])
    expect(() => nodes[0]!.setAddresses(Array.from({ length: 9 }, () => 'tcp://x:1'))).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
    expect(() => nodes[0]!.announce('g', 'offline' as 'online')).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
    const stopped = createPresence({}, { peerId: peer('z'), pubsub: new Bus().pubsub(peer('z')) })
    await expect(stopped.addGroup('g', { epoch: 1, exportSecret: () => new Uint8Array(32), members: () => [] })).rejects.toMatchObject({ name: 'NotStartedError' })
  })

  it('reads a group by id from the group source, or keys one by a shared secret; stop withdraws the FIND_USER answerer', async () => {
    const bus = new Bus()
    const foaf = new Foaf()
    const clock = new ManualClock()
    const secret = secretOf('shared')
    const asked: string[] = []
    const source = {
      exportSecret: (groupId: string, label: string, length: number) => {
        asked.push(`${groupId}:${label}:${length}`)
        return sharedSecretGroup(secret).exportSecret(label, length)
      },
    }
    const [a, b] = [peer('src-a'), peer('src-b')]
    const viaSource = createPresence({}, { peerId: a, pubsub: bus.pubsub(a), foaf: foaf.router(a), clock, groups: source })
    const viaSecret = createPresence({}, { peerId: b, pubsub: bus.pubsub(b), foaf: foaf.router(b), clock })
    viaSource.start()
    viaSecret.start()
    await viaSource.addGroup('team')
    await viaSecret.addGroup('team', sharedSecretGroup(secret))
    await expect(viaSecret.addGroup('other')).rejects.toMatchObject({ name: 'UnknownGroupError' })
    expect(asked).toEqual([`team:${PRESENCE_EXPORTER_LABEL}:32`])
    expect(viaSecret.groups()).toEqual(['team'])
    viaSource.announce('team')
    viaSecret.announce('team')
    await flush()
    expect(viaSecret.online('team').map((m) => m.peer.toHex())).toEqual([a.toHex()])
    expect(viaSource.online('team').map((m) => m.peer.toHex())).toEqual([b.toHex()])
    expect(foaf.answerers.has(b.toHex())).toBe(true)
    await viaSecret.stop()
    expect(foaf.answerers.has(b.toHex())).toBe(false)
    expect(() => sharedSecretGroup(new Uint8Array(31))).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
  })

  it('stays in a removed group\'s topics for the leave grace, so lazy neighbours can pull its offline beacon', async () => {
    vi.useFakeTimers()
    try {
      const { ids, nodes, bus, group } = await cluster(['a', 'b'])
      const joinedBy = (i: number): number => [...bus.joined.values()].filter((members) => members.has(ids[i]!.toHex())).length
      const topics = joinedBy(0)
      expect(topics).toBeGreaterThan(0)
      nodes[0]!.announce('g')
      nodes[0]!.withdraw('g')
      nodes[0]!.removeGroup('g')
      await vi.advanceTimersByTimeAsync(999)
      expect(joinedBy(0)).toBe(topics)
      await vi.advanceTimersByTimeAsync(1)
      expect(joinedBy(0)).toBe(0)
      // Added back within the grace: the pending leave is cancelled.
      nodes[1]!.removeGroup('g')
      await nodes[1]!.addGroup('g', group as PresenceGroup)
      await vi.advanceTimersByTimeAsync(5_000)
      expect(joinedBy(1)).toBe(topics)
      expect(() => createPresence({ leaveGraceMs: -1 }, { peerId: ids[0]!, pubsub: bus.pubsub(ids[0]!) })).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
    } finally {
      vi.useRealTimers()
    }
  })
})
