/**
 * The rendezvous service end to end over the real transport (memory carrier, post-quantum secure
 * channel) and real pubsub: a provider, a serving node and a seeker. Driver timers are faked; the
 * carrier's IO runs on real event-loop turns, awaited with a bounded number of turns.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { Identity, loadMlDsa65Backend, verifySignature, type SignatureBackend } from '@saorsa-gossip/identity'
import { createPubSub, type PubSub } from '@saorsa-gossip/pubsub'
import { createMemoryNetwork, createTransport, type Transport } from '@saorsa-gossip/transport'
import { ManualClock, SeededRng } from '@saorsa-gossip/types'
import { createRendezvous, shardOf, shardTopicName, targetFromName, type ProviderSummary, type Rendezvous, type RendezvousInit } from '../src/index.ts'

const MAX_TURNS = 5_000
const turn = () => new Promise<void>((resolve) => setImmediate(resolve))

async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < MAX_TURNS; i++) {
    if (done()) return
    await turn()
  }
  throw new Error(`not reached within ${MAX_TURNS} event-loop turns: ${what}`)
}

async function advance(clock: ManualClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 50) {
    clock.advance(50)
    await vi.advanceTimersByTimeAsync(50)
    for (let i = 0; i < 10; i++) await turn()
  }
}

interface Member { identity: Identity; transport: Transport; pubsub: PubSub; rendezvous: Rendezvous }

async function mesh(backend: SignatureBackend, clock: ManualClock, inits: RendezvousInit[]): Promise<Member[]> {
  const network = createMemoryNetwork()
  const members: Member[] = []
  for (const [index, init] of inits.entries()) {
    const identity = Identity.generate({ seed: new Uint8Array(32).fill(60 + index), backend })
    const transport = createTransport({ identity, carriers: [network.carrier()], backend })
    await transport.listen(`mem://rv-${index}`)
    const pubsub = createPubSub({}, { transport, identity, backend, clock, rng: new SeededRng(index) })
    pubsub.start()
    const rendezvous = createRendezvous(init, {
      identity, pubsub, transport, clock,
      verify: (pk, domain, body, sig) => verifySignature(pk, domain, body, sig, backend),
    })
    members.push({ identity, transport, pubsub, rendezvous })
  }
  for (let i = 0; i < members.length; i++) {
    for (let j = i + 1; j < members.length; j++) await members[i]!.transport.dial(`mem://rv-${j}`, { expectedPeer: members[j]!.identity.peerId })
  }
  await until(() => members.every((m) => m.transport.connections().length === members.length - 1), 'full mesh')
  for (const m of members) {
    for (const other of members) if (other !== m) m.pubsub.neighborUp(other.identity.peerId)
    await m.rendezvous.start()
  }
  const server = members.find((_, i) => inits[i]!.config?.serve === true)
  for (const m of members) m.rendezvous.setServers(server === undefined ? [] : [server.identity.peerId])
  return members
}

async function collect(iterable: AsyncIterable<ProviderSummary>): Promise<ProviderSummary[]> {
  const out: ProviderSummary[] = []
  for await (const p of iterable) out.push(p)
  return out
}

describe('rendezvous service over transport and pubsub', () => {
  const dirs: string[] = []
  afterEach(() => {
    vi.useRealTimers()
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })

  it('a seeker finds a provider through the serving node, the provider withdraws on stop, and the server keeps its store across a restart', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] })
    const backend = await loadMlDsa65Backend()
    const clock = new ManualClock(0)
    const dir = mkdtempSync(join(tmpdir(), 'rv-'))
    dirs.push(dir)
    const storePath = join(dir, 'rendezvous.cbor')
    const [provider, server, seeker] = await mesh(backend, clock, [{}, { config: { serve: true }, storePath, persistIntervalMs: 1_000 }, {}])

    const target = targetFromName('site.example')
    const summary = provider!.rendezvous.provide('site.example', { capabilities: ['SITE'], addressHints: ['mem://rv-0'] })
    expect(summary.provider.equals(provider!.identity.peerId)).toBe(true)
    expect(provider!.pubsub.topics().map((t) => t.toHex())).toHaveLength(1)
    await until(() => server!.rendezvous.core.store.live(target, clock.wallNow()).length === 1, 'the server stored the registration')

    const seek = collect(seeker!.rendezvous.seek(target, { capability: 'SITE' }))
    await until(() => seeker!.rendezvous.core.store.live(target, clock.wallNow()).length === 1, 'the seeker received the reply')
    const found = await seek
    expect(found.map((p) => p.provider.toHex())).toEqual([provider!.identity.peerId.toHex()])
    expect(found[0]!.addressHints).toEqual(['mem://rv-0'])
    expect(await collect(seeker!.rendezvous.seek(target, { capability: 'DOC' }))).toEqual([])

    // A restarted server reads its snapshot (written on stop) and validates every summary again.
    await server!.rendezvous.stop()
    const reopened = createRendezvous({ config: { serve: true }, storePath }, {
      identity: server!.identity, pubsub: server!.pubsub, transport: server!.transport, clock,
      verify: (pk, domain, body, sig) => verifySignature(pk, domain, body, sig, backend),
    })
    await reopened.start()
    expect(reopened.core.store.live(target, clock.wallNow()).map((e) => e.signed.summary.seq)).toEqual([summary.seq])

    await provider!.rendezvous.stop()
    await until(() => reopened.core.store.live(target, clock.wallNow()).length === 0, 'the withdrawal reached the server')
    expect(await collect(seeker!.rendezvous.seek(target))).toEqual([])
    await reopened.stop()
    await seeker!.rendezvous.stop()
    for (const m of [provider!, server!, seeker!]) {
      m.pubsub.stop()
      await m.transport.close()
    }
  })

  it('a summary published on a shard topic reaches a seeker already on it, and a seek ends with AbortError when its signal aborts', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] })
    const backend = await loadMlDsa65Backend()
    const clock = new ManualClock(0)
    const [provider, seeker] = await mesh(backend, clock, [{}, {}])
    const target = targetFromName('doc-1')
    const controller = new AbortController()
    const results: ProviderSummary[] = []
    const following = (async () => {
      for await (const p of seeker!.rendezvous.seek(target, { follow: true, signal: controller.signal })) results.push(p)
    })()
    const caught = following.catch((err: unknown) => err)
    await until(() => seeker!.pubsub.topics().length === 1, 'the seeker joined the shard')
    expect(shardTopicName(shardOf(target))).toMatch(/^saorsa\/rendezvous\/[0-9a-f]{4}$/)
    await advance(clock, 200)
    provider!.rendezvous.provide(target, { capabilities: ['DOC'] })
    await until(() => results.length === 1, 'the topic delivered the summary to the seek')
    controller.abort()
    expect(await caught).toMatchObject({ name: 'AbortError' })
    for (const m of [provider!, seeker!]) {
      await m.rendezvous.stop()
      m.pubsub.stop()
      await m.transport.close()
    }
  })
})
