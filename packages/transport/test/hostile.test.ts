/**
 * Hostile input: at least 10,000 cases per carrier of random bytes, mutated handshake messages and,
 * inside real established sessions, mutated records and frames. The listener must never crash, must
 * fail every bad session closed with a typed error, must release every pipe and handshake afterwards,
 * and must still serve a good handshake. Seeded, so a failure reproduces; FUZZ_RUNS scales the run.
 */
import { describe, it, expect, beforeAll } from 'vitest'
import { Identity, loadMlDsa65Backend } from '@saorsa-gossip/identity'
import { LIMITS, SeededRng, type Rng } from '@saorsa-gossip/types'
import type { BytePipe, Carrier } from '../src/carrier.ts'
import { createMemoryNetwork } from '../src/carriers/memory.ts'
import { createTcpCarrier } from '../src/carriers/tcp.ts'
import { loadAead, type Aead } from '../src/channel/aead.ts'
import { InitiatorHandshake } from '../src/channel/handshake.ts'
import { lengthPrefixed, PipeInbox } from '../src/channel/pipe-inbox.ts'
import { DEFAULT_REKEY, RecordSealer } from '../src/channel/records.ts'
import { secureOutbound } from '../src/channel/secure-pipe.ts'
import { frame, FRAME_KIND, prefixedFrame } from '../src/frames.ts'
import { encodeProtocolName } from '../src/protocols.ts'
import { createTransport } from '../src/transport.ts'
import { UNRATIONED_EDGE } from './transport-suite.ts'
import { MSHIP } from './protocols.ts'
import type { Connection } from '../src/types.ts'
import { until, waitForEvent } from './transport-suite.ts'

const TOTAL = Number(process.env.FUZZ_RUNS ?? 10_000)
const MUTATED_M1 = Math.round(TOTAL * 0.04)
const MUTATED_M3 = Math.round(TOTAL * 0.015)
const IN_CHANNEL = Math.round(TOTAL * 0.03)
const GARBAGE = TOTAL - MUTATED_M1 - MUTATED_M3 - IN_CHANNEL
const BATCH = 24
const ALLOWED_CLOSE = new Set(['FrameError', 'RecordAuthError', 'ConnectionClosedError'])

const attacker = Identity.generate({ seed: new Uint8Array(32).fill(90) })
const target = Identity.generate({ seed: new Uint8Array(32).fill(91) })
const honest = Identity.generate({ seed: new Uint8Array(32).fill(92) })
let aead: Aead

beforeAll(async () => {
  await loadMlDsa65Backend()
  aead = await loadAead()
})

const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xff]

function mutate(input: Uint8Array, rng: Rng): Uint8Array {
  let bytes = input.slice()
  const rounds = 1 + rng.nextInt(3)
  for (let r = 0; r < rounds; r++) {
    const op = rng.nextInt(5)
    if (bytes.length === 0) return rng.fill(new Uint8Array(1 + rng.nextInt(64)))
    const at = rng.nextInt(bytes.length)
    if (op === 0) bytes[at]! ^= 1 << rng.nextInt(8)
    else if (op === 1) bytes = bytes.subarray(0, at)
    else if (op === 2) bytes[at] = INTERESTING[rng.nextInt(INTERESTING.length)]!
    else if (op === 3) bytes = new Uint8Array([...bytes.subarray(0, at), ...rng.fill(new Uint8Array(1 + rng.nextInt(32))), ...bytes.subarray(at)])
    else { const to = rng.nextInt(bytes.length); bytes = new Uint8Array([...bytes.subarray(0, Math.min(at, to)), ...bytes.subarray(Math.max(at, to))]) }
  }
  // A mutation that cancelled out would be a valid message, not a hostile one.
  if (bytes.length === input.length && bytes.every((b, i) => b === input[i])) bytes[rng.nextInt(bytes.length)]! ^= 0x80
  return bytes
}

function garbage(rng: Rng, genuineM1: Uint8Array): Uint8Array {
  const kind = rng.nextInt(10)
  if (kind < 4) return rng.fill(new Uint8Array(rng.nextInt(2048)))
  if (kind < 7) {
    const body = rng.fill(new Uint8Array(1 + rng.nextInt(3000)))
    return lengthPrefixed(body)
  }
  if (kind === 7) {
    const header = new Uint8Array(4)
    new DataView(header.buffer).setUint32(0, LIMITS.maxHandshakeBytes + 1 + rng.nextInt(2 ** 31))
    return header
  }
  // Broken M1s that cannot parse (type byte, count, length): cheap, unlike a valid-looking M1.
  const m1 = genuineM1.slice()
  if (kind === 8) m1[0] = 2 + rng.nextInt(250)
  else m1[1] = rng.nextInt(2) === 0 ? 0 : 9 + rng.nextInt(200)
  return lengthPrefixed(rng.nextInt(2) === 0 ? m1 : m1.subarray(0, rng.nextInt(m1.length)))
}

/** A plaintext that breaks the frame rules (or is valid by chance, which the peer may deliver). */
function badPlaintext(rng: Rng): Uint8Array {
  const ok = prefixedFrame(FRAME_KIND.mship, encodeProtocolName(MSHIP.name), rng.fill(new Uint8Array(rng.nextInt(100))))
  const okBytes = new Uint8Array([...ok.header, ...ok.body])
  const header = (length: number, kind: number) => {
    const h = new Uint8Array(5)
    new DataView(h.buffer).setUint32(0, length)
    h[4] = kind
    return h
  }
  switch (rng.nextInt(8)) {
    case 0: return rng.fill(new Uint8Array(1 + rng.nextInt(500)))
    case 1: return new Uint8Array([...okBytes, ...rng.fill(new Uint8Array(1 + rng.nextInt(4)))])
    case 2: return new Uint8Array([...header(3, FRAME_KIND.streamData), 1, 2, 3])
    case 3: return new Uint8Array([...header(5, FRAME_KIND.streamCredit), 0, 0, 0, 1, 9])
    case 4: return new Uint8Array([...header(9, FRAME_KIND.streamEnd), ...new Uint8Array(9)])
    case 5: return new Uint8Array([...header(3, FRAME_KIND.ping), 1, 2, 3])
    case 6: return header(LIMITS.maxMshipFrameBytes + 1, FRAME_KIND.mship)
    default: return mutate(okBytes, rng)
  }
}

function runHostile(name: string, setup: () => Promise<{ carrier: Carrier; attackerCarrier: Carrier; listenAddr: string; openPipes?: () => number; cleanup(): Promise<void> }>): void {
  describe(`hostile input over ${name}`, () => {
    it(`survives ${TOTAL} hostile cases, fails each closed, leaks nothing and still serves a good handshake`, async () => {
      const env = await setup()
      const rng = new SeededRng(`hostile-${name}`)
      // Parsing hostile bytes is the subject here, not rationing them (edge.test.ts): one attacker
      // identity from one address sends thousands of bad cases, many at once, which the edge limits would cut short.
      const server = createTransport({ identity: target, carriers: [env.carrier], handshakeTimeoutMs: 5_000, edge: { ...UNRATIONED_EDGE, maxConnectionsPerPeer: 1e9 } })
      const addr = await server.listen(env.listenAddr)
      const closeErrors: string[] = []
      server.addEventListener('connection:close', (e) => { closeErrors.push(e.detail.error?.name ?? 'none') })
      let delivered = 0
      server.handle(MSHIP, () => { delivered++ })
      const genuineM1 = new InitiatorHandshake({ identity: attacker, aead }).start()

      const onePipe = async (work: (pipe: BytePipe) => Promise<void>): Promise<void> => {
        const pipe = await env.attackerCarrier.dial(addr)
        try { await work(pipe) } catch { /* the target closing on us is the expected outcome */ } finally { pipe.close() }
      }
      const batches = async (count: number, work: (i: number) => Promise<void>): Promise<void> => {
        for (let i = 0; i < count; i += BATCH) {
          await Promise.all(Array.from({ length: Math.min(BATCH, count - i) }, (_, j) => work(i + j)))
          // Let the target drain its handshakes, so no case is refused by its pending-handshake cap.
          await until(() => server.stats().pendingHandshakes === 0 && server.connections().length === 0, 200_000)
        }
      }

      // 1. Pre-handshake garbage and malformed M1s on fresh pipes.
      await batches(GARBAGE, () => {
        const bytes = garbage(rng, genuineM1)
        return onePipe(async (pipe) => { pipe.setReader({ onData() {}, onEnd() {} }); if (bytes.length > 0) await pipe.write(bytes) })
      })
      // 2. Mutated M1s (these may parse and cost the target an encapsulation and a signature).
      await batches(MUTATED_M1, () => {
        const bytes = lengthPrefixed(mutate(genuineM1, rng))
        return onePipe(async (pipe) => { pipe.setReader({ onData() {}, onEnd() {} }); await pipe.write(bytes) })
      })
      // 3. Genuine M1, then a mutated M3.
      await batches(MUTATED_M3, () => onePipe(async (pipe) => {
        const inbox = new PipeInbox(pipe)
        const hs = new InitiatorHandshake({ identity: attacker, aead })
        await pipe.write(lengthPrefixed(hs.start()))
        const { m3 } = hs.onM2(await inbox.next(), pipe.remoteAddr)
        await pipe.write(lengthPrefixed(mutate(m3, rng)))
      }))
      // 4. Established sessions whose peer then sends mutated records or valid records with bad frames.
      const before = closeErrors.length
      await batches(IN_CHANNEL, (i) => onePipe(async (pipe) => {
        const { result, inbox } = await secureOutbound(pipe, { identity: attacker, aead }, { timeoutMs: 5_000 })
        inbox.handover({ onData() {}, onEnd() {} })
        const sealer = new RecordSealer(aead, result.sendKey, DEFAULT_REKEY)
        const good = prefixedFrame(FRAME_KIND.mship, encodeProtocolName(MSHIP.name), new Uint8Array([1, 2, 3]))
        await pipe.write(sealer.seal([good.header, good.body]))
        const bad = i % 2 === 0
          ? sealer.seal([badPlaintext(rng)])
          : mutate(sealer.seal([good.header, good.body]), rng)
        await pipe.write(bad)
        // The pipe is closed next; a record that happened to stay valid then ends as ConnectionClosedError.
      }))

      await until(() => server.stats().pendingHandshakes === 0 && server.connections().length === 0, 200_000)
      const inChannelErrors = closeErrors.slice(before)
      expect(inChannelErrors.length).toBe(IN_CHANNEL)
      for (const name of inChannelErrors) expect(ALLOWED_CLOSE.has(name), name).toBe(true)
      expect(inChannelErrors.filter((n) => n === 'FrameError').length).toBeGreaterThan(IN_CHANNEL / 5)
      expect(inChannelErrors.filter((n) => n === 'RecordAuthError').length).toBeGreaterThan(IN_CHANNEL / 5)
      expect(delivered).toBeGreaterThanOrEqual(IN_CHANNEL)
      expect(server.stats().refusedPipes).toBe(0)
      expect(server.stats().failedHandshakes).toBeGreaterThanOrEqual(GARBAGE + MUTATED_M3)
      expect(server.stats().failedHandshakes).toBeLessThanOrEqual(GARBAGE + MUTATED_M1 + MUTATED_M3)

      // The listener still serves an honest peer.
      const client = createTransport({ identity: honest, carriers: [env.attackerCarrier] })
      const opened = waitForEvent<{ connection: Connection }>(server, 'connection:open')
      const conn = await client.dial(addr, { expectedPeer: server.peerId })
      await opened
      const got: number[] = []
      server.unhandle(MSHIP)
      server.handle(MSHIP, (m) => { got.push(m[0]!) })
      await conn.send(MSHIP, new Uint8Array([42]))
      await until(() => got.length === 1)
      await client.close()
      await server.close()
      if (env.openPipes !== undefined) await until(() => env.openPipes!() === 0)
      await env.cleanup()
    }, 120_000)
  })
}

runHostile('tcp', async () => {
  const carrier = createTcpCarrier()
  const attackerCarrier = createTcpCarrier()
  return { carrier, attackerCarrier, listenAddr: 'tcp://127.0.0.1:0', cleanup: async () => { await carrier.close(); await attackerCarrier.close() } }
})

runHostile('mem', async () => {
  const network = createMemoryNetwork()
  const carrier = network.carrier()
  const attackerCarrier = network.carrier()
  return {
    carrier, attackerCarrier, listenAddr: 'mem://target', openPipes: () => network.stats().openPipes,
    cleanup: async () => { await carrier.close(); await attackerCarrier.close() },
  }
})
