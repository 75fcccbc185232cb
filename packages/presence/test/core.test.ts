/**
 * The presence core, fed by hand: beacons announce members, change their status and withdraw
 * them; silence expires them; replays, forgeries, strangers, tampering and stale beacons are
 * refused with the right verdict; topics rotate around slice boundaries and epochs; FIND_USER is
 * answered from what was heard and rate limited per requester.
 */
import { describe, expect, it } from 'vitest'
import { decodeBeaconEnvelope, encodeBeaconEnvelope } from '../src/codec.ts'
import { beaconTopic } from '../src/proto/index.ts'
import { MAX_OPEN_GROUP_MEMBERS } from '../src/proto/presence.ts'
import { GROUP, joinGroup, Node, peer, secretOf, WALL0 } from './helpers.ts'

const SECRET = secretOf('group')
const MIN = 60_000

function pair() {
  const alice = new Node('alice')
  const bob = new Node('bob')
  joinGroup([alice, bob], SECRET)
  alice.command({ type: 'set-addrs', addrs: ['tcp://203.0.113.7:4001'] })
  return { alice, bob }
}

const last = (n: Node) => n.published().at(-1)!

describe('presence core: who is online', () => {
  it('shows a member online with its addresses after its first beacon, and reports it once', () => {
    const { alice, bob } = pair()
    alice.command({ type: 'announce', group: GROUP, status: 'online' })
    expect(bob.receive(last(alice), alice.id)).toBe('accept')
    const online = bob.core.online(GROUP, bob.now)
    expect(online).toHaveLength(1)
    expect(online[0]).toMatchObject({ status: 'online', addrs: ['tcp://203.0.113.7:4001'], lastSeen: WALL0, since: WALL0, expires: WALL0 + 15 * MIN })
    expect(online[0]!.peer.equals(alice.id)).toBe(true)
    expect(bob.events('member-online')).toHaveLength(1)
    // The next periodic beacon refreshes without a second event.
    alice.now = bob.now = 5 * MIN
    alice.timer({ type: 'beacon', group: GROUP, gen: 1 })
    expect(bob.receive(last(alice), alice.id)).toBe('accept')
    expect(bob.events('member-online')).toHaveLength(1)
    expect(bob.core.online(GROUP, bob.now)[0]!.lastSeen).toBe(WALL0 + 5 * MIN)
  })

  it('puts whole milliseconds on the wire when the driver\'s monotonic clock is fractional', () => {
    const { alice, bob } = pair()
    alice.now = bob.now = 1234.567
    alice.command({ type: 'announce', group: GROUP, status: 'online' })
    expect(bob.receive(last(alice), alice.id)).toBe('accept')
    expect(bob.core.online(GROUP, bob.now)[0]).toMatchObject({ since: WALL0 + 1234, lastSeen: WALL0 + 1234 })
  })

  it('reports a status change, then a clean stop as offline (left)', () => {
    const { alice, bob } = pair()
    alice.command({ type: 'announce', group: GROUP, status: 'online' })
    bob.receive(last(alice), alice.id)
    alice.command({ type: 'announce', group: GROUP, status: 'away' })
    expect(bob.receive(last(alice), alice.id)).toBe('accept')
    expect(bob.events('member-status')).toEqual([{ type: 'member-status', group: GROUP, member: alice.id, status: 'away', previous: 'online' }])
    alice.command({ type: 'withdraw', group: GROUP })
    expect(bob.receive(last(alice), alice.id)).toBe('accept')
    expect(bob.events('member-offline')).toEqual([{ type: 'member-offline', group: GROUP, member: alice.id, reason: 'left' }])
    expect(bob.core.online(GROUP, bob.now)).toEqual([])
  })

  it('expires a silent member at its TTL through the sweep, and never before', () => {
    const { alice, bob } = pair()
    alice.command({ type: 'announce', group: GROUP, status: 'online' })
    bob.receive(last(alice), alice.id)
    bob.now = 15 * MIN
    bob.timer({ type: 'sweep' })
    expect(bob.events('member-offline')).toHaveLength(0)
    bob.now = 15 * MIN + 10_000
    bob.timer({ type: 'sweep' })
    expect(bob.events('member-offline')).toEqual([{ type: 'member-offline', group: GROUP, member: alice.id, reason: 'expired' }])
    expect(bob.core.online(GROUP, bob.now)).toEqual([])
  })

  it('re-arms the beacon timer within interval +- 10 % and ignores a stale one after withdraw', () => {
    const { alice } = pair()
    const outs = alice.command({ type: 'announce', group: GROUP, status: 'online' })
    const scheduled = outs.find((o) => o.type === 'schedule' && o.timer.type === 'beacon')
    expect(scheduled?.type === 'schedule' && scheduled.delayMs).toBeGreaterThanOrEqual(270_000)
    expect(scheduled?.type === 'schedule' && scheduled.delayMs).toBeLessThanOrEqual(330_000)
    alice.command({ type: 'withdraw', group: GROUP })
    const before = alice.published().length
    expect(alice.timer({ type: 'beacon', group: GROUP, gen: 1 })).toEqual([])
    expect(alice.published()).toHaveLength(before)
  })
})

describe('presence core: refusals', () => {
  it('ignores a replayed beacon and an older one after a newer one', () => {
    const { alice, bob } = pair()
    alice.command({ type: 'announce', group: GROUP, status: 'online' })
    const first = last(alice)
    alice.now = 1_000
    alice.command({ type: 'announce', group: GROUP, status: 'online' })
    expect(bob.receive(last(alice), alice.id)).toBe('accept')
    expect(bob.receive(last(alice), alice.id)).toBe('ignore')
    expect(bob.receive(first, alice.id)).toBe('ignore')
    expect(bob.core.drops.replay).toBe(2)
  })

  it('rejects a beacon whose sealed sender is not the pubsub origin, and one from outside the roster', () => {
    const alice = new Node('alice')
    const bob = new Node('bob')
    const mallory = new Node('mallory')
    joinGroup([alice, bob, mallory], SECRET, 1, [alice.id, bob.id])
    alice.command({ type: 'announce', group: GROUP, status: 'online' })
    expect(bob.receive(last(alice), mallory.id)).toBe('reject')
    expect(bob.core.drops['origin-mismatch']).toBe(1)
    mallory.command({ type: 'announce', group: GROUP, status: 'online' })
    expect(bob.receive(last(mallory), mallory.id)).toBe('reject')
    expect(bob.core.drops['not-member']).toBe(1)
  })

  it('rejects tampered ciphertexts, swapped tags and malformed envelopes', () => {
    const { alice, bob } = pair()
    alice.command({ type: 'announce', group: GROUP, status: 'online' })
    const beacon = last(alice)
    const env = decodeBeaconEnvelope(beacon.payload)
    const flipped = env.ct.slice()
    flipped[3] = flipped[3]! ^ 1
    expect(bob.receive({ topic: beacon.topic, payload: encodeBeaconEnvelope({ ...env, ct: flipped }) }, alice.id)).toBe('reject')
    const otherTag = env.tag.slice()
    otherTag[0] = otherTag[0]! ^ 1
    expect(bob.receive({ topic: beacon.topic, payload: encodeBeaconEnvelope({ ...env, tag: otherTag }) }, alice.id)).toBe('reject')
    expect(bob.core.drops.undecryptable).toBe(2)
    expect(bob.receive({ topic: beacon.topic, payload: new Uint8Array([0xa0]) }, alice.id)).toBe('reject')
    expect(bob.core.drops.malformed).toBe(1)
    expect(bob.receive(beacon, alice.id)).toBe('accept')
  })

  it('ignores a beacon delivered after it expired, and one from a clock far ahead', () => {
    const { alice, bob } = pair()
    alice.command({ type: 'announce', group: GROUP, status: 'online' })
    bob.now = 15 * MIN + 1
    expect(bob.receive(last(alice), alice.id)).toBe('ignore')
    expect(bob.core.drops.stale).toBe(1)
    const ahead = new Node('carol', {}, WALL0 + 5 * MIN)
    const carolBob = new Node('bob')
    joinGroup([ahead, carolBob], SECRET)
    ahead.command({ type: 'announce', group: GROUP, status: 'online' })
    expect(carolBob.receive(last(ahead), ahead.id)).toBe('ignore')
    expect(carolBob.core.drops.future).toBe(1)
  })
})

describe('presence core: slices and epochs', () => {
  it('joins the next slice\'s topic a minute before the boundary and leaves the old one two minutes after', () => {
    const alice = new Node('alice')
    alice.now = 30 * MIN
    const outs = alice.command({ type: 'set-group', group: GROUP, epoch: 1, secret: SECRET, members: [alice.id] })
    const slice = 492_823
    const topicHex = (s: number) => Buffer.from(beaconTopic(SECRET, s)).toString('hex')
    expect(alice.core.topics(GROUP).map((t) => t.toHex())).toEqual([topicHex(slice)])
    const rotate = outs.find((o) => o.type === 'schedule' && o.timer.type === 'rotate')
    expect(rotate?.type === 'schedule' && rotate.delayMs).toBe(29 * MIN)
    alice.now = 59 * MIN
    alice.timer({ type: 'rotate', group: GROUP, gen: 1 })
    expect(alice.core.topics(GROUP).map((t) => t.toHex())).toEqual([topicHex(slice), topicHex(slice + 1)])
    alice.now = 62 * MIN
    alice.timer({ type: 'rotate', group: GROUP, gen: 2 })
    expect(alice.core.topics(GROUP).map((t) => t.toHex())).toEqual([topicHex(slice + 1)])
    expect(alice.events('leave-topic')).toHaveLength(1)
  })

  it('keeps opening the previous epoch\'s beacons for one TTL after a rekey, then stops', () => {
    const { alice, bob } = pair()
    const next = secretOf('group epoch 2')
    bob.command({ type: 'set-group', group: GROUP, epoch: 2, secret: next, members: [alice.id, bob.id] })
    // Two epochs, each with this slice and (within two minutes of the boundary) the previous one.
    expect(bob.core.topics(GROUP)).toHaveLength(4)
    alice.command({ type: 'announce', group: GROUP, status: 'online' })
    expect(bob.receive(last(alice), alice.id)).toBe('accept')
    alice.now = bob.now = 15 * MIN
    bob.timer({ type: 'rotate', group: GROUP, gen: 2 })
    expect(bob.core.topics(GROUP)).toHaveLength(1)
    alice.command({ type: 'announce', group: GROUP, status: 'away' })
    expect(bob.receive(last(alice), alice.id)).toBe('ignore')
    expect(bob.core.drops['unknown-topic']).toBe(1)
  })

  it('drops a member removed from the roster and reports it offline (removed)', () => {
    const { alice, bob } = pair()
    alice.command({ type: 'announce', group: GROUP, status: 'online' })
    bob.receive(last(alice), alice.id)
    bob.command({ type: 'set-group', group: GROUP, epoch: 2, secret: secretOf('e2'), members: [bob.id] })
    expect(bob.events('member-offline')).toEqual([{ type: 'member-offline', group: GROUP, member: alice.id, reason: 'removed' }])
  })
})

describe('presence core: FIND_USER answers', () => {
  it('answers with the freshest addresses it heard, for itself too, and refuses a requester past 10 an hour', () => {
    const { alice, bob } = pair()
    alice.command({ type: 'announce', group: GROUP, status: 'online' })
    bob.receive(last(alice), alice.id)
    const asker = peer('asker')
    const answers = () => bob.events('find-answer') as Array<Extract<ReturnType<Node['events']>[number], { type: 'find-answer' }>>
    bob.command({ type: 'find-query', requestId: 1, requester: asker, target: alice.id })
    expect(answers()[0]!.answer).toMatchObject({ status: 'online', addrs: ['tcp://203.0.113.7:4001'], seenAt: WALL0 })
    bob.command({ type: 'find-query', requestId: 2, requester: asker, target: peer('nobody') })
    expect(answers()[1]!.answer).toBeUndefined()
    for (let i = 3; i <= 11; i++) bob.command({ type: 'find-query', requestId: i, requester: asker, target: alice.id })
    expect(answers()[9]!.answer).toBeDefined()
    expect(answers()[10]).toMatchObject({ answer: undefined, refused: 'rate-limited' })
    // Another requester has its own bucket; six minutes later the first has one token again.
    bob.command({ type: 'find-query', requestId: 12, requester: peer('other'), target: alice.id })
    expect(answers()[11]!.answer).toBeDefined()
    bob.now = 6 * MIN
    bob.command({ type: 'find-query', requestId: 13, requester: asker, target: alice.id })
    expect(answers()[12]!.answer).toBeDefined()
    alice.command({ type: 'find-query', requestId: 1, requester: asker, target: alice.id })
    expect((alice.events('find-answer')[0] as { answer: unknown }).answer).toMatchObject({ status: 'online' })
  })
})

describe('presence core: a group without a roster (a shared secret)', () => {
  it('admits every holder of the secret, still refuses a forged origin and a wrong secret, and forgets expired members', () => {
    const [alice, bob, carol] = [new Node('alice'), new Node('bob'), new Node('carol')]
    for (const n of [alice, bob]) n.command({ type: 'set-group', group: GROUP, epoch: 0, secret: SECRET, members: undefined })
    carol.command({ type: 'set-group', group: GROUP, epoch: 0, secret: secretOf('another'), members: undefined })
    alice.command({ type: 'announce', group: GROUP, status: 'online' })
    const beacon = last(alice)
    expect(bob.receive(beacon, peer('mallory'))).toBe('reject')
    expect(bob.core.drops['origin-mismatch']).toBe(1)
    expect(bob.receive(beacon, alice.id)).toBe('accept')
    expect(bob.core.online(GROUP, bob.now).map((m) => m.peer.toHex())).toEqual([alice.id.toHex()])
    // Carol holds another secret: she is on other topics and cannot read the beacon.
    carol.command({ type: 'announce', group: GROUP, status: 'online' })
    expect(last(carol).topic.equals(beacon.topic)).toBe(false)
    // Silence past the TTL: reported offline once, then forgotten, and a replay is stale.
    bob.now = 16 * MIN
    bob.timer({ type: 'sweep' })
    expect(bob.events('member-offline')).toEqual([{ type: 'member-offline', group: GROUP, member: alice.id, reason: 'expired' }])
    expect(bob.core.online(GROUP, bob.now)).toEqual([])
    expect(bob.receive(beacon, alice.id)).not.toBe('accept')
  })

  it('tracks at most MAX_OPEN_GROUP_MEMBERS senders and ignores (never rejects) the next one', () => {
    const bob = new Node('bob')
    bob.command({ type: 'set-group', group: GROUP, epoch: 0, secret: SECRET, members: undefined })
    for (let i = 0; i <= MAX_OPEN_GROUP_MEMBERS; i++) {
      const member = new Node(`member-${i}`)
      member.command({ type: 'set-group', group: GROUP, epoch: 0, secret: SECRET, members: undefined })
      member.command({ type: 'announce', group: GROUP, status: 'online' })
      expect(bob.receive(last(member), member.id)).toBe(i < MAX_OPEN_GROUP_MEMBERS ? 'accept' : 'ignore')
    }
    expect(bob.core.drops['group-full']).toBe(1)
    expect(bob.core.online(GROUP, bob.now)).toHaveLength(MAX_OPEN_GROUP_MEMBERS)
  })
})
