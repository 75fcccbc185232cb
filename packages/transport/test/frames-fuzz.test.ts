/**
 * Fuzz of the routed, direct and stream frame headers (SPEC.md sections 5.5-5.6): 100,000 seeded cases
 * (FUZZ_RUNS scales it) of valid frames of every new kind, mutated and packed into genuinely sealed
 * records, fed to a live connection. Every case must end as a delivery, a counted drop or a FrameError
 * closing that connection; nothing else may be thrown, and every stream reservation is released.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { SeededRng, type Rng } from '@saorsa-gossip/types'
import { loadAead, type Aead } from '../src/channel/aead.ts'
import { directFrame, DIRECT_TYPE } from '../src/direct/wire.ts'
import { ConnectionClosedError } from '../src/errors.ts'
import { frame, FRAME_KIND, prefixedFrame, writeU32, type OutFrame } from '../src/frames.ts'
import { encodeProtocolName } from '../src/protocols.ts'
import { ProtocolRoutes } from '../src/routes.ts'
import { MemoryBudget } from '../src/streams/budget.ts'
import type { IncomingStream } from '../src/streams/inbound.ts'
import { liveConnection, type LiveConnection } from './live-connection.ts'
import { BULK, MSHIP, PUBSUB } from './protocols.ts'

const RUNS = Number(process.env.FUZZ_RUNS ?? 100_000)
const ECHO = { name: '/test/echo/1', streamClass: 'mship' } as const
let aead: Aead

beforeAll(async () => { aead = await loadAead() })

function bytes(f: OutFrame): Uint8Array {
  const out = new Uint8Array(f.header.length + f.body.length)
  out.set(f.header, 0)
  out.set(f.body, f.header.length)
  return out
}

function idBody(id: number, extra: number[] = []): Uint8Array {
  const body = new Uint8Array(4 + extra.length)
  writeU32(body, 0, id)
  body.set(extra, 4)
  return body
}

/** Valid frames of every routed, direct and stream kind (ids small, so mutations hit live streams and requests). */
function seed(rng: Rng): Uint8Array {
  const data = rng.fill(new Uint8Array(rng.nextInt(40)))
  const id = 1 + rng.nextInt(4)
  switch (rng.nextInt(14)) {
    case 0: return bytes(prefixedFrame(FRAME_KIND.mship, encodeProtocolName(MSHIP.name), data))
    case 1: return bytes(prefixedFrame(FRAME_KIND.pubsub, encodeProtocolName(PUBSUB.name), data))
    case 2: return bytes(prefixedFrame(FRAME_KIND.mship, encodeProtocolName('/nobody/1'), data))
    case 3: return bytes(directFrame('mship', ECHO.name, DIRECT_TYPE.request, id, data))
    case 4: return bytes(directFrame('mship', ECHO.name, DIRECT_TYPE.oneWay, 0, data))
    case 5: return bytes(directFrame('mship', ECHO.name, DIRECT_TYPE.response, id, data))
    case 6: return bytes(directFrame('pubsub', ECHO.name, DIRECT_TYPE.refusal, id, new Uint8Array([1 + rng.nextInt(4)])))
    case 7: return bytes(frame(FRAME_KIND.streamOpen, new Uint8Array([...idBody(id), ...encodeProtocolName(BULK.name)])))
    case 8: return bytes(frame(FRAME_KIND.streamOpen, new Uint8Array([...idBody(id), ...encodeProtocolName('/nobody/1')])))
    case 9: return bytes(frame(FRAME_KIND.streamData, new Uint8Array([...idBody(id), ...data])))
    case 10: return bytes(frame(FRAME_KIND.streamEnd, idBody(id)))
    case 11: return bytes(frame(FRAME_KIND.streamCredit, idBody(id, [0, 0, 1, 0])))
    case 12: return bytes(frame(FRAME_KIND.streamReset, idBody(id, [1 + rng.nextInt(5)])))
    default: return bytes(frame(FRAME_KIND.streamStop, idBody(id, [1 + rng.nextInt(5)])))
  }
}

const INTERESTING = [0x00, 0x01, 0x3f, 0x40, 0x41, 0x7f, 0x80, 0xff]

function mutate(input: Uint8Array, rng: Rng): Uint8Array {
  let b = input.slice()
  for (let r = 1 + rng.nextInt(3); r > 0 && b.length > 0; r--) {
    const at = rng.nextInt(b.length)
    const op = rng.nextInt(5)
    if (op === 0) b[at]! ^= 1 << rng.nextInt(8)
    else if (op === 1) b[at] = INTERESTING[rng.nextInt(INTERESTING.length)]!
    else if (op === 2) b = b.subarray(0, at)
    else if (op === 3) b = new Uint8Array([...b.subarray(0, at), ...rng.fill(new Uint8Array(1 + rng.nextInt(8))), ...b.subarray(at)])
    // Header fields: the length word and the name-length byte are where parsers go wrong.
    else if (b.length > 5) b[rng.nextInt(6)] = INTERESTING[rng.nextInt(INTERESTING.length)]!
  }
  return b
}

describe('frame, direct and stream header fuzz', () => {
  it(`handles ${RUNS} mutated frames with deliveries, counted drops or FrameError only, and leaks no stream memory`, async () => {
    const rng = new SeededRng('frames-fuzz')
    const budget = new MemoryBudget(64 * 1024 * 1024)
    const routes = new ProtocolRoutes()
    let delivered = 0
    let answered = 0
    routes.add('message', MSHIP, () => { delivered++ }, 'fuzz')
    routes.add('message', PUBSUB, () => { delivered++ }, 'fuzz')
    routes.add('direct', ECHO, (request: Uint8Array) => { answered++; return request }, 'fuzz')
    routes.add('stream', BULK, (stream: IncomingStream) => { void stream.bytes().catch(() => {}) }, 'fuzz')
    const drops = { n: 0 }
    const closes: Record<string, number> = {}
    let current = liveConnection(aead, routes, budget, () => { drops.n++ })
    const retired: LiveConnection[] = []
    let peakReserved = 0
    for (let i = 0; i < RUNS; i++) {
      const parts: Uint8Array[] = []
      for (let k = 1 + rng.nextInt(3); k > 0; k--) {
        const s = seed(rng)
        parts.push(rng.nextInt(5) === 0 ? s : mutate(s, rng))
      }
      const plaintext = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
      let offset = 0
      for (const p of parts) { plaintext.set(p, offset); offset += p.length }
      if (plaintext.length === 0) continue
      // Nothing may escape the connection: failures end it with a typed error.
      current.feed(plaintext)
      peakReserved = Math.max(peakReserved, budget.reserved)
      if (budget.reserved > budget.limit) throw new Error(`case ${i}: stream reservations over the budget`)
      const ended = current.closeError()
      if (ended !== null) {
        const name = ended?.name ?? 'orderly'
        closes[name] = (closes[name] ?? 0) + 1
        retired.push(current)
        current = liveConnection(aead, routes, budget, () => { drops.n++ })
        retired.shift()!.conn.fail(new ConnectionClosedError('retired'))
      }
      if (i % 500 === 499) await new Promise<void>((resolve) => setImmediate(resolve))
    }
    for (const l of [...retired, current]) l.conn.fail(new ConnectionClosedError('fuzz over'))
    await new Promise<void>((resolve) => setImmediate(resolve))
    expect(Object.keys(closes).every((name) => name === 'FrameError' || name === 'orderly')).toBe(true)
    expect(closes.FrameError ?? 0).toBeGreaterThan(RUNS / 100)
    expect(drops.n).toBeGreaterThan(RUNS / 10)
    expect(delivered).toBeGreaterThan(RUNS / 50)
    expect(answered).toBeGreaterThan(RUNS / 100)
    expect(peakReserved).toBeGreaterThan(0)
    expect(budget.reserved).toBe(0)
    expect(budget.buffered).toBe(0)
  }, 120_000)
})
