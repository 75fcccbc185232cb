/**
 * What a node outside the group can learn: beacons of the same member in two slices share no field
 * (topic, tag, nonce, ciphertext) and no run of 8 bytes, so nothing links them without the group
 * secret; a wrong secret (another group, or a removed member's old epoch) opens nothing; a
 * non-member core neither decrypts nor accepts.
 */
import { describe, expect, it } from 'vitest'
import { bytesEqual, toHex } from '@saorsa-gossip/types'
import { decodeBeaconEnvelope } from '../src/codec.ts'
import { beaconKey, beaconTopic, openBeacon, presenceTag } from '../src/proto/index.ts'
import { GROUP, joinGroup, Node, secretOf } from './helpers.ts'

const HOUR = 3_600_000

function sharesRun(a: Uint8Array, b: Uint8Array, run: number): boolean {
  const seen = new Set<string>()
  for (let i = 0; i + run <= a.length; i++) seen.add(toHex(a.subarray(i, i + run)))
  for (let i = 0; i + run <= b.length; i++) if (seen.has(toHex(b.subarray(i, i + run)))) return true
  return false
}

describe('presence privacy', () => {
  it('gives a non-member two beacons of one member in consecutive slices that share no field and no 8-byte run', () => {
    const alice = new Node('alice')
    const secret = secretOf('group-secret')
    joinGroup([alice], secret, 1, [alice.id])
    alice.command({ type: 'set-addrs', addrs: ['tcp://203.0.113.7:4001'] })
    alice.command({ type: 'announce', group: GROUP, status: 'online' })
    alice.now += HOUR
    alice.timer({ type: 'rotate', group: GROUP, gen: 1 })
    alice.command({ type: 'announce', group: GROUP, status: 'online' })
    const [first, second] = alice.published()
    expect(first).toBeDefined()
    expect(second).toBeDefined()
    expect(first!.topic.equals(second!.topic)).toBe(false)
    const a = decodeBeaconEnvelope(first!.payload)
    const b = decodeBeaconEnvelope(second!.payload)
    const fields = (e: typeof a, topic: Uint8Array) => [topic, e.tag, e.nonce, e.ct]
    for (const x of fields(a, first!.topic.bytes)) {
      for (const y of fields(b, second!.topic.bytes)) {
        expect(bytesEqual(x, y)).toBe(false)
        expect(sharesRun(x, y, 8)).toBe(false)
      }
    }
    expect(sharesRun(first!.payload.subarray(40), second!.payload.subarray(40), 8)).toBe(false)
  })

  it('tags of one member in different slices, and of different members in one slice, are unrelated', () => {
    const secret = secretOf('group-secret')
    const alice = new Node('alice').id
    const bob = new Node('bob').id
    const tags = [presenceTag(secret, alice, 10), presenceTag(secret, alice, 11), presenceTag(secret, bob, 10), presenceTag(secretOf('other'), alice, 10)]
    for (let i = 0; i < tags.length; i++) for (let j = i + 1; j < tags.length; j++) expect(sharesRun(tags[i]!, tags[j]!, 4)).toBe(false)
  })

  it('opens nothing under another group\'s secret or an older epoch\'s secret', () => {
    const alice = new Node('alice')
    const secret = secretOf('epoch-2')
    joinGroup([alice], secret, 2, [alice.id])
    alice.command({ type: 'announce', group: GROUP, status: 'online' })
    const [beacon] = alice.published()
    const env = decodeBeaconEnvelope(beacon!.payload)
    const slice = 492_823
    expect(openBeacon(beaconKey(secret, slice), beacon!.topic.bytes, env.tag, env.nonce, env.ct)).toBeDefined()
    for (const wrong of [secretOf('epoch-1'), secretOf('another group')]) {
      expect(openBeacon(beaconKey(wrong, slice), beacon!.topic.bytes, env.tag, env.nonce, env.ct)).toBeUndefined()
      // A non-member cannot even find the topic: its own derivation names another one.
      expect(bytesEqual(beaconTopic(wrong, slice), beacon!.topic.bytes)).toBe(false)
    }
  })

  it('makes a core holding the wrong secret ignore the beacon: it never joined that topic', () => {
    const alice = new Node('alice')
    const eve = new Node('eve')
    joinGroup([alice], secretOf('real'), 1, [alice.id, eve.id])
    joinGroup([eve], secretOf('guess'), 1, [alice.id, eve.id])
    alice.command({ type: 'announce', group: GROUP, status: 'online' })
    const [beacon] = alice.published()
    expect(eve.receive(beacon!, alice.id)).toBe('ignore')
    expect(eve.core.drops['unknown-topic']).toBe(1)
    expect(eve.core.online(GROUP, eve.now)).toEqual([])
  })
})
