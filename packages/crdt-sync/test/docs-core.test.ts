import { describe, expect, it } from 'vitest'
import { PeerId, SeededRng, TopicId } from '@saorsa-gossip/types'
import { CRDT_LOCAL } from '../src/config.ts'
import { CounterDoc } from '../src/docs/crdt-docs.ts'
import { DocsCore, type DocsOutput } from '../src/proto/docs-core.ts'

const alice = PeerId.fromPublicKey(new Uint8Array(32).fill(1))
const bob = PeerId.fromPublicKey(new Uint8Array(32).fill(2))
const docA = TopicId.fromName('crdt/a').toHex()
const docB = TopicId.fromName('crdt/b').toHex()

describe('documents core', () => {
  it('keeps documents apart: messages, timers, neighbours and publishes carry their document id', () => {
    const core = new DocsCore({ self: alice.toHex(), config: CRDT_LOCAL, rng: new SeededRng(1) })
    const out: DocsOutput[] = []
    const a = new CounterDoc(alice.toHex())
    core.handle({ type: 'command', command: { type: 'open', doc: docA, state: a } }, 0, out)
    core.handle({ type: 'command', command: { type: 'open', doc: docB, state: new CounterDoc(alice.toHex()) } }, 0, out)
    expect(out.map((o) => o.type === 'schedule' && o.timer.doc)).toEqual([docA, docB])
    out.length = 0
    a.onLocal = (payload) => core.handle({ type: 'command', command: { type: 'local', doc: docA, payload } }, 1, out)
    a.add(3)
    expect(out).toMatchObject([
      { type: 'emit', event: { type: 'sync', doc: docA, event: { type: 'applied', local: true } } },
      { type: 'emit', event: { type: 'publish', doc: docA, msg: { type: 'delta' } } },
    ])
    out.length = 0
    core.handle({ type: 'command', command: { type: 'neighbour-up', doc: docB, peer: bob } }, 2, out)
    core.handle({ type: 'command', command: { type: 'sync-now', doc: docA } }, 2, out)
    expect(out).toEqual([]) // docA has no neighbour; bob neighbours docB only
    core.handle({ type: 'command', command: { type: 'sync-now', doc: docB } }, 2, out)
    expect(out).toMatchObject([{ type: 'send', to: bob, msg: { doc: docB, msg: { type: 'summary' } } }])
  })

  it('reports traffic for a document it does not hold, and forgets a closed one', () => {
    const core = new DocsCore({ self: alice.toHex(), config: CRDT_LOCAL, rng: new SeededRng(1) })
    const out: DocsOutput[] = []
    core.handle({ type: 'recv', from: bob, msg: { doc: docA, msg: { type: 'want', vv: [] } } }, 0, out)
    expect(out).toEqual([{ type: 'emit', event: { type: 'unknown-doc', doc: docA } }])
    core.handle({ type: 'command', command: { type: 'open', doc: docA, state: new CounterDoc(alice.toHex()) } }, 0, out)
    core.handle({ type: 'command', command: { type: 'close', doc: docA } }, 0, out)
    expect(core.size).toBe(0)
  })
})
