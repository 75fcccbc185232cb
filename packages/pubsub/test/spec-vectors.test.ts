import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { PeerId, TopicId, fromHex, messageIdOf, toHex, utf8 } from '@saorsa-gossip/types'
import { decodePubSubMessage, encodePubSubMessage } from '../src/codec.ts'
import { buildSketch, windowDigest } from '../src/proto/anti-entropy.ts'
import { Publisher } from '../src/publisher.ts'

const spec = readFileSync(new URL('../../../SPEC.md', import.meta.url), 'utf8')
const section = spec.slice(spec.indexOf('## 7. PubSub'), spec.indexOf('## 8. Node'))

/** The hex string after a bullet label in SPEC.md section 7.6. */
function vector(label: string): string {
  const line = section.split('\n').find((l) => l.startsWith(`- ${label}:`))
  const match = line?.match(/`([0-9a-f]+)`\s*$/)
  if (match === null || match === undefined) throw new Error(`SPEC.md section 7 has no vector '${label}'`)
  return match[1]!
}

describe('SPEC.md section 7 golden vectors', () => {
  const topic = TopicId.fromName('spec/vectors')
  const key = new Uint8Array(32).fill(1)
  const origin = PeerId.fromPublicKey(key)
  const msg = new Publisher(origin, () => new Uint8Array([0xaa, 0xbb, 0xcc, 0xdd]), 7).build(topic, utf8('hello'), 1_700_000_000_000)
  const id = messageIdOf(msg.header)

  it('matches the header, the message id and every message encoding', () => {
    expect(toHex(msg.headerBytes)).toBe(vector('header'))
    expect(id.toHex()).toBe(vector('message id'))
    const cases: Array<[string, Uint8Array]> = [
      ['`pub` (hop 1)', encodePubSubMessage(msg)],
      ['`pub` (hop 2, with origin key)', encodePubSubMessage({ ...msg, hop: 2, originKey: key })],
      ['`nbr` (same header and signature)', encodePubSubMessage({ ...msg, neighborsOnly: true })],
      ['`ihave` (id, hop 1)', encodePubSubMessage({ type: 'ihave', topic, ids: [id], hops: [1] })],
      ['`graft` (id)', encodePubSubMessage({ type: 'graft', topic, ids: [id] })],
      ['`prune`', encodePubSubMessage({ type: 'prune', topic })],
      ['`sub` (r = true)', encodePubSubMessage({ type: 'subscribe', topics: [topic], reply: true })],
      ['`sub` (r = false, holding the origin\'s key)', encodePubSubMessage({ type: 'subscribe', topics: [topic], reply: false, heldKeys: origin.bytes.slice(0, 8) })],
      ['`keyreq`', encodePubSubMessage({ type: 'key-request', origins: [origin] })],
      ['`have` (id, f = false)', encodePubSubMessage({ type: 'have', topic, ids: [id], complete: false })],
      ['IBLT of {id} with 3 cells', buildSketch([id], 3)],
      ['window digest of {id} (digest time 1700000000000, `a` 1700000000000, `b` 1700000095000)', windowDigest([{ id, digestMs: 1_700_000_000_000 }], 1_700_000_000_000, 1_700_000_095_000).hash],
      ['`digest` (that window and digest)', encodePubSubMessage({
        type: 'digest', topic, fromMs: 1_700_000_000_000, toMs: 1_700_000_095_000, count: 1,
        hash: windowDigest([{ id, digestMs: 1_700_000_000_000 }], 1_700_000_000_000, 1_700_000_095_000).hash,
      })],
    ]
    for (const [label, bytes] of cases) expect(toHex(bytes), label).toBe(vector(label))
  })

  it('decodes the published vectors back to the same message', () => {
    const decoded = decodePubSubMessage(encodePubSubMessage(msg))
    expect(decoded).toEqual(msg)
    expect(decodePubSubMessage(fromHex(vector('`nbr` (same header and signature)')))).toEqual({ ...msg, neighborsOnly: true })
  })
})
