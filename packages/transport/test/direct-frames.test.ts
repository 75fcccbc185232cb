/**
 * Direct messages at the frame level (SPEC.md section 5.5), where an honest transport cannot be made
 * to misbehave: the responder's cap on requests running at once, a response matched only on the
 * connection that carried its request, and refusals that carry a code and nothing else.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { utf8 } from '@saorsa-gossip/types'
import { loadAead, type Aead } from '../src/channel/aead.ts'
import { MAX_INBOUND_REQUESTS } from '../src/direct/endpoint.ts'
import { DIRECT_TYPE, directFrame, parseDirectFrame, refusalCode } from '../src/direct/wire.ts'
import { FRAME_KIND, type OutFrame } from '../src/frames.ts'
import { ProtocolRoutes } from '../src/routes.ts'
import { MemoryBudget } from '../src/streams/budget.ts'
import { turns } from './carrier-conformance.ts'
import { liveConnection } from './live-connection.ts'

const SLOW = { name: '/test/slow/1', streamClass: 'mship' } as const
let aead: Aead
beforeAll(async () => { aead = await loadAead() })

function plain(f: OutFrame): Uint8Array {
  return new Uint8Array([...f.header, ...f.body])
}

describe('direct messages on the wire', () => {
  it(`refuses requests beyond ${MAX_INBOUND_REQUESTS} running at once as busy, with only a code`, async () => {
    const routes = new ProtocolRoutes()
    const releases: Array<() => void> = []
    routes.add('direct', SLOW, () => new Promise<Uint8Array>((resolve) => releases.push(() => resolve(utf8('done')))), 'test')
    const live = liveConnection(aead, routes, new MemoryBudget(1 << 20))
    for (let id = 1; id <= MAX_INBOUND_REQUESTS + 2; id++) live.feed(plain(directFrame('mship', SLOW.name, DIRECT_TYPE.request, id, utf8('q'))))
    await turns(10)
    const refusals = live.sent().filter(([kind]) => kind === FRAME_KIND.mshipDirect).map(([, body]) => parseDirectFrame(body))
    expect(refusals).toEqual([MAX_INBOUND_REQUESTS + 1, MAX_INBOUND_REQUESTS + 2].map((id) => ({ type: 'refusal', name: SLOW.name, id, reason: 'busy' })))
    expect(releases).toHaveLength(MAX_INBOUND_REQUESTS)
    for (const release of releases) release()
    await turns(10)
    const responses = live.sent().map(([, body]) => parseDirectFrame(body)).filter((f) => f?.type === 'response')
    expect(responses).toHaveLength(MAX_INBOUND_REQUESTS)
    // A freed slot serves the next request again.
    live.feed(plain(directFrame('mship', SLOW.name, DIRECT_TYPE.request, 999, utf8('q'))))
    await turns(2)
    expect(releases).toHaveLength(MAX_INBOUND_REQUESTS + 1)
    live.conn.fail(new Error('done'))
  })

  it('matches a response only on the connection that carried the request, and only by id and name', async () => {
    const routes = new ProtocolRoutes()
    const budget = new MemoryBudget(1 << 20)
    const drops: string[] = []
    const one = liveConnection(aead, routes, budget, (r) => drops.push(`one:${r}`))
    const two = liveConnection(aead, routes, budget, (r) => drops.push(`two:${r}`))
    const pending = one.conn.request(SLOW, utf8('question'))
    await turns(5)
    const [request] = one.sent().map(([, body]) => parseDirectFrame(body))
    expect(request).toMatchObject({ type: 'request', name: SLOW.name })
    const { id, data } = request as { id: number; data: Uint8Array }
    expect(new TextDecoder().decode(data)).toBe('question')
    two.feed(plain(directFrame('mship', SLOW.name, DIRECT_TYPE.response, id, utf8('forged'))))
    one.feed(plain(directFrame('mship', '/test/other/1', DIRECT_TYPE.response, id, utf8('wrong name'))))
    one.feed(plain(directFrame('mship', SLOW.name, DIRECT_TYPE.refusal, id + 1, new Uint8Array([refusalCode('busy')]))))
    expect(drops).toEqual(['two:unknown-response', 'one:unknown-response', 'one:unknown-response'])
    expect(one.conn.stats().pendingRequests).toBe(1)
    one.feed(plain(directFrame('mship', SLOW.name, DIRECT_TYPE.response, id, utf8('answer'))))
    expect(new TextDecoder().decode(await pending)).toBe('answer')
    one.conn.fail(new Error('done'))
    two.conn.fail(new Error('done'))
  })
})
