/**
 * Hostile input against the WebTransport listener: crafted capsules that crashed or hung the
 * unpatched library, seeded capsule and WebSocket fuzzing inside valid sessions, and garbage to the
 * listening port. The process must never see an uncaught exception or unhandled rejection, memory
 * must stay bounded, and the listener must still accept a good session afterwards.
 */
import { connect as tlsConnect } from 'node:tls'
import { connect as tcpConnect } from 'node:net'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { SeededRng, bytesEqual, pick, type Rng } from '@saorsa-gossip/types'
import type { BytePipe, Carrier, CarrierListener } from '../src/carrier.ts'
import { createWebTransportCarrier, WT_PATH } from '../src/webtransport/index.ts'
import { collect } from './carrier-conformance.ts'
import { CAPSULE, RawWtConnection, capsule, closeCapsule, concat, mutate, varint } from './webtransport-raw.ts'

const FUZZ_RUNS = Number(process.env['FUZZ_RUNS'] ?? 9_000)

setFlagsFromString('--expose_gc')
const gc = runInNewContext('gc') as () => void
function heapAfterGc(): number { gc(); gc(); return process.memoryUsage().heapUsed }

const streamCapsule = (id: bigint, data: Uint8Array, fin = false): Uint8Array => capsule(fin ? CAPSULE.STREAM_FIN : CAPSULE.STREAM, varint(id), data)
const hello = streamCapsule(1n, new Uint8Array([1, 2, 3]))

/** Crafted cases; several crashed or hung the unpatched library (see the report in docs). */
const CRAFTED: Array<[string, Uint8Array[]]> = [
  ['a stream id of the listener\'s own parity (bidirectional)', [streamCapsule(0n, new Uint8Array([1]))]],
  ['a stream id of the listener\'s own parity (unidirectional)', [streamCapsule(2n, new Uint8Array([1]))]],
  ['a huge stream id near 4e8', [streamCapsule(400_000_001n, new Uint8Array([1]))]],
  ['the largest stream id', [streamCapsule((1n << 62n) - 3n, new Uint8Array([1]))]],
  ['a protocol error followed by a close capsule in the same write', [concat(capsule(CAPSULE.STREAMS_BLOCKED_BIDI, varint(1n << 40n)), closeCapsule(7, 'bye'))]],
  ['a frame length far above the window, then a close capsule', [concat(varint(CAPSULE.DATAGRAM), varint(1n << 40n), closeCapsule(0, ''))]],
  ['two close capsules in a row', [concat(hello, closeCapsule(1, 'a'), closeCapsule(2, 'b'))]],
  ['data after the FIN of a stream', [concat(streamCapsule(1n, new Uint8Array([1]), true), streamCapsule(1n, new Uint8Array([2])))]],
  ['a reset of an open stream, then more data on it', [concat(hello, capsule(CAPSULE.RESET_STREAM, varint(1n), varint(3)), streamCapsule(1n, new Uint8Array(10)))]],
  ['stop-sending for a stream that does not exist', [capsule(CAPSULE.STOP_SENDING, varint(9n), varint(1))]],
  ['a datagram (this carrier uses none)', [concat(hello, capsule(CAPSULE.DATAGRAM, new Uint8Array(20)))]],
  ['a unidirectional stream (this carrier uses none)', [streamCapsule(3n, new Uint8Array([1]))]],
  ['a second bidirectional stream', [concat(hello, streamCapsule(5n, new Uint8Array([1])))]],
  ['more stream data than the flow-control window', [concat(hello, streamCapsule(1n, new Uint8Array(300 * 1024)))]],
  ['a truncated varint split over two writes', [new Uint8Array([0xc0, 0x00]), new Uint8Array([0x00])]],
  ['an empty capsule of unknown type', [capsule(0x3fffffff)]],
]

function randomValue(rng: Rng): bigint {
  return pick(rng, [0n, 1n, 3n, 4n, 100n, 1n << 20n, 1n << 32n, (1n << 62n) - 1n, BigInt(rng.nextU32())])!
}

function randomCapsule(rng: Rng): Uint8Array {
  const id = varint(pick(rng, [1n, 5n, 9n, 0n, 2n, 3n, 4n, 7n, BigInt(rng.nextU32()), (1n << 62n) - 1n, 400_000_001n])!)
  const data = rng.fill(new Uint8Array(rng.nextInt(64)))
  const kinds: Array<() => Uint8Array> = [
    () => capsule(CAPSULE.STREAM, id, data),
    () => capsule(CAPSULE.STREAM_FIN, id, data),
    () => capsule(CAPSULE.RESET_STREAM, id, varint(rng.nextInt(300))),
    () => capsule(CAPSULE.STOP_SENDING, id, varint(rng.nextInt(300))),
    () => capsule(CAPSULE.MAX_DATA, varint(randomValue(rng))),
    () => capsule(CAPSULE.MAX_STREAM_DATA, id, varint(randomValue(rng))),
    () => capsule(CAPSULE.MAX_STREAMS_BIDI, varint(randomValue(rng))),
    () => capsule(CAPSULE.MAX_STREAMS_UNI, varint(randomValue(rng))),
    () => capsule(CAPSULE.DATA_BLOCKED, varint(randomValue(rng))),
    () => capsule(CAPSULE.STREAM_DATA_BLOCKED, id, varint(randomValue(rng))),
    () => capsule(CAPSULE.STREAMS_BLOCKED_BIDI, varint(randomValue(rng))),
    () => capsule(CAPSULE.STREAMS_BLOCKED_UNI, varint(randomValue(rng))),
    () => closeCapsule(rng.nextU32(), 'x'.repeat(rng.nextInt(40))),
    () => capsule(CAPSULE.DRAIN_SESSION),
    () => capsule(CAPSULE.DATAGRAM, data),
    () => capsule(CAPSULE.PADDING, data),
    () => capsule(rng.nextU32() & 0x3fffffff, data),
  ]
  return kinds[rng.nextInt(kinds.length)]!()
}

/** A case: maybe a valid opening stream, 1..4 random capsules, maybe mutated, maybe a close, split into writes. */
function randomCase(rng: Rng): Uint8Array[] {
  const parts: Uint8Array[] = rng.nextInt(2) === 0 ? [hello] : []
  for (let i = 1 + rng.nextInt(4); i > 0; i--) parts.push(randomCapsule(rng))
  let bytes = concat(...parts)
  if (rng.nextInt(10) < 7) bytes = mutate(rng, bytes)
  if (rng.nextInt(4) === 0) bytes = concat(bytes, closeCapsule(rng.nextU32(), 'bye'))
  return splitRandomly(rng, bytes)
}

function splitRandomly(rng: Rng, bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  let rest = bytes
  for (let n = rng.nextInt(3); n > 0 && rest.length > 1; n--) {
    const at = 1 + rng.nextInt(rest.length - 1)
    out.push(rest.subarray(0, at))
    rest = rest.subarray(at)
  }
  out.push(rest)
  return out.filter((p) => p.length > 0)
}

/** RFC 6455 section 5.2 frame, masked as a client must. */
function wsFrame(rng: Rng, opcode: number, payload: Uint8Array, fin = true): Uint8Array {
  const mask = rng.fill(new Uint8Array(4))
  const length = payload.length
  const head = length < 126 ? new Uint8Array([length]) : new Uint8Array([126, length >> 8, length & 0xff])
  head[0] = head[0]! | 0x80
  const masked = payload.map((b, i) => b ^ mask[i % 4]!)
  return concat(new Uint8Array([(fin ? 0x80 : 0) | opcode]), head, mask, masked)
}

function randomWsCase(rng: Rng): Uint8Array[] {
  const frames: Uint8Array[] = []
  for (let i = 1 + rng.nextInt(3); i > 0; i--) {
    const opcode = pick(rng, [0x2, 0x2, 0x2, 0x0, 0x8, 0x9, 0xa, 0x1, 0x3])!
    frames.push(wsFrame(rng, opcode, randomCapsule(rng), rng.nextInt(4) !== 0))
  }
  let bytes = concat(...frames)
  if (rng.nextInt(10) < 7) bytes = mutate(rng, bytes)
  return splitRandomly(rng, bytes)
}

describe('WebTransport listener under hostile input', () => {
  const faults: unknown[] = []
  const onFault = (error: unknown): void => { faults.push(error instanceof Error ? error.stack ?? error.message : String(error)) }
  let carrier: Carrier
  let listener: CarrierListener
  let port = 0
  let pipesOpened = 0

  beforeAll(async () => {
    process.on('uncaughtException', onFault)
    process.on('unhandledRejection', onFault)
    carrier = createWebTransportCarrier({ streamOpenTimeoutMs: 1_000, lingerMs: 200 })
    listener = await carrier.listen('wt://127.0.0.1:0', (pipe: BytePipe) => {
      pipesOpened++
      pipe.setReader({ onData: (chunk) => { pipe.write(chunk).catch(() => { /* echo to a hostile peer */ }) }, onEnd: () => {} })
    })
    port = Number(listener.addr.slice(listener.addr.lastIndexOf(':') + 1))
  })

  afterAll(async () => {
    await carrier.close()
    process.off('uncaughtException', onFault)
    process.off('unhandledRejection', onFault)
  })

  let connection: RawWtConnection | undefined
  async function runCase(parts: Uint8Array[], protocol: 'webtransport' | 'websocket' = 'webtransport'): Promise<void> {
    if (connection === undefined || connection.closed) connection = await RawWtConnection.open(port)
    const conn = connection
    let stream
    try { stream = await conn.session(protocol) } catch { return }
    for (const part of parts) stream.write(part)
    await conn.ping()
    stream.destroy()
  }

  async function runMany(count: number, make: (rng: Rng) => Uint8Array[], seed: string, protocol: 'webtransport' | 'websocket' = 'webtransport'): Promise<void> {
    const rng = new SeededRng(seed)
    const batch = 32
    for (let done = 0; done < count; done += batch) {
      const cases = Array.from({ length: Math.min(batch, count - done) }, () => make(rng))
      await Promise.all(cases.map((c) => runCase(c, protocol)))
    }
  }

  async function expectGoodSession(): Promise<void> {
    const client = createWebTransportCarrier()
    try {
      const pipe = await client.dial(listener.addr)
      const at = collect(pipe)
      const ping = new Uint8Array([9, 8, 7, 6, 5])
      await pipe.write(ping)
      await at.waitFor(ping.length)
      expect(bytesEqual(at.concat(), ping)).toBe(true)
    } finally {
      await client.close()
    }
  }

  it.each(CRAFTED)('survives %s and keeps serving', async (_name, parts) => {
    await runCase(parts)
    await expectGoodSession()
    expect(faults).toEqual([])
  })

  it(`survives ${FUZZ_RUNS} seeded capsule cases and ${Math.ceil(FUZZ_RUNS / 9)} WebSocket cases with bounded memory`, async () => {
    await runMany(500, randomCase, 'wt-capsules-warmup')
    const before = heapAfterGc()
    await runMany(FUZZ_RUNS, randomCase, 'wt-capsules')
    await runMany(Math.ceil(FUZZ_RUNS / 9), randomWsCase, 'wt-websocket', 'websocket')
    connection?.close()
    connection = undefined
    await expectGoodSession()
    const grown = heapAfterGc() - before
    expect(faults).toEqual([])
    expect(pipesOpened).toBeGreaterThan(100)
    expect(grown).toBeLessThan(48 * 1024 * 1024)
  }, 90_000)

  it('survives garbage to the port over raw TCP, TLS with h2 and http/1.1 ALPN, and an HTTP/1.1 WebSocket upgrade', async () => {
    const rng = new SeededRng('wt-port-garbage')
    const upgrade = new TextEncoder().encode(`GET ${WT_PATH} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: webtransport_kDraft2\r\n\r\n')
    const preface = new TextEncoder().encode('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')
    const send = (kind: number, payload: Uint8Array): Promise<void> => new Promise((resolve) => {
      const socket = kind === 0
        ? tcpConnect({ host: '127.0.0.1', port })
        : tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: [kind === 3 ? 'http/1.1' : 'h2'] })
      socket.on('error', () => { /* expected */ })
      socket.on('data', () => { /* ignored */ })
      socket.once(kind === 0 ? 'connect' : 'secureConnect', () => { socket.end(payload) })
      socket.once('close', () => resolve())
      socket.setTimeout(3_000, () => socket.destroy())
    })
    for (let i = 0; i < 400; i += 8) {
      await Promise.all(Array.from({ length: 8 }, (_, j) => {
        const kind = (i + j) % 4
        const noise = rng.fill(new Uint8Array(rng.nextInt(300)))
        const payload = kind === 2 ? concat(preface, noise) : kind === 3 ? concat(upgrade, randomWsCase(rng).reduce((a, b) => concat(a, b), new Uint8Array(0))) : noise
        return send(kind, payload)
      }))
    }
    await expectGoodSession()
    expect(faults).toEqual([])
  }, 60_000)
})
