/**
 * A handshake flood (SPEC.md section 5.7), measured with honest peers alongside: for 15 s, 500 first
 * handshake messages a second from 50 loopback source addresses, each a recorded genuine M1 with a
 * fresh nonce (so no replay cache could drop it). The victim's responder crypto stays within its
 * token budget, a fresh honest peer connects within 2 s, and messages between honest peers keep flowing.
 */
import { describe, expect, it } from 'vitest'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { Identity, loadMlDsa65Backend } from '@saorsa-gossip/identity'
import { toHex } from '@saorsa-gossip/types'
import { loadAead } from '../src/channel/aead.ts'
import { InitiatorHandshake } from '../src/channel/handshake.ts'
import { lengthPrefixed } from '../src/channel/pipe-inbox.ts'
import { EDGE_DEFAULTS } from '../src/edge/preset.ts'
import { createTransport } from '../src/transport.ts'
import { startAttacker } from './edge-attacker.ts'
import { MSHIP } from './protocols.ts'
import { until } from './transport-suite.ts'

const FLOOD_MS = 15_000
const PER_SECOND = 500
const SOURCES = 50
/** An attacker socket is dropped after this long (it never answers M2, so it gains nothing by waiting). */
const ATTACK_SOCKET_LIFE_MS = 1_000

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

describe('handshake flood', () => {
  it('500 M1s a second from 50 sources for 15 s: crypto stays rationed, honest peers connect and keep talking', async () => {
    await loadMlDsa65Backend()
    const aead = await loadAead()
    const victimId = Identity.generate({ seed: new Uint8Array(32).fill(60) })
    const talkerId = Identity.generate({ seed: new Uint8Array(32).fill(61) })
    const newcomerIds = Array.from({ length: 3 }, (_, i) => Identity.generate({ seed: new Uint8Array(32).fill(62 + i) }))
    const victim = createTransport({ identity: victimId })
    const talker = createTransport({ identity: talkerId })
    const newcomers = newcomerIds.map((identity) => createTransport({ identity }))
    const addr = await victim.listen('tcp://127.0.0.1:0')
    const port = Number(/:(\d+)$/.exec(addr)![1])
    try {
      // An honest peer connected before the flood, sending a message every 50 ms throughout.
      const received = new Map<number, number>()
      victim.handle(MSHIP, (m) => { received.set(new DataView(m.buffer, m.byteOffset).getUint32(0), performance.now()) })
      const talk = await talker.dial(addr, { expectedPeer: victimId.peerId })
      const sentAt = new Map<number, number>()

      const recorded = new InitiatorHandshake({ identity: talkerId, aead }).start()
      let seq = 0
      const cpuBefore = process.cpuUsage()
      const cryptoBefore = victim.stats().edge.responderCrypto
      const started = performance.now()
      const loopDelay = monitorEventLoopDelay({ resolution: 10 })
      loopDelay.enable()
      const attack = startAttacker({
        mode: 'flood', port, perSecond: PER_SECOND, sources: SOURCES, subnet: 2, m1Hex: toHex(lengthPrefixed(recorded)),
        nonceAt: 4 + recorded.length - 32, lifeMs: ATTACK_SOCKET_LIFE_MS, durationMs: FLOOD_MS,
      })
      const chatter = setInterval(() => {
        const n = seq++
        const message = new Uint8Array(4)
        new DataView(message.buffer).setUint32(0, n)
        sentAt.set(n, performance.now())
        void talk.send(MSHIP, message)
      }, 50)

      // Fresh honest peers dial at 3, 7 and 11 s into the flood.
      const joins: number[] = []
      for (const [i, at] of [3_000, 7_000, 11_000].entries()) {
        await sleep(Math.max(0, started + at - performance.now()))
        const t0 = performance.now()
        await newcomers[i]!.dial(addr, { expectedPeer: victimId.peerId })
        joins.push(performance.now() - t0)
      }
      await attack.done
      clearInterval(chatter)
      const sent = attack.sent
      loopDelay.disable()
      const elapsedMs = performance.now() - started
      const cpu = process.cpuUsage(cpuBefore)
      const edge = victim.stats().edge
      const crypto = edge.responderCrypto - cryptoBefore

      await until(() => received.size === seq, 200_000)
      const delays = [...sentAt].map(([n, t]) => received.get(n)! - t).sort((a, b) => a - b)
      const p99 = delays[Math.floor(delays.length * 0.99)]!
      const budget = EDGE_DEFAULTS.handshakeBurst + (EDGE_DEFAULTS.handshakesPerSecond * elapsedMs) / 1000
      console.log(`flood: ${sent} M1s in ${(elapsedMs / 1000).toFixed(1)} s; victim responder crypto ${crypto} (budget ${budget.toFixed(0)}), ` +
        `rate-limited ${edge.rateLimitedHandshakes}, evicted ${edge.evictedPipes}, refused ${edge.refusedPipes}; ` +
        `victim process CPU ${((cpu.user + cpu.system) / 1000 / elapsedMs * 100).toFixed(0)}% of one core (victim and the honest peers; the attacker runs in a child process); ` +
        `event-loop delay p99 ${(loopDelay.percentile(99) / 1e6).toFixed(0)} ms, max ${(loopDelay.max / 1e6).toFixed(0)} ms; ` +
        `honest joins ${joins.map((j) => j.toFixed(0)).join(' / ')} ms; ${seq} honest messages, p99 delay ${p99.toFixed(0)} ms`)

      // The attacker shares this machine's cores (at the lowest priority): on a loaded machine it
      // reaches less than its plan (1,850 of 7,500 beside a CPU-bound process), which the log line
      // reports. What the test needs is a flood well past what the edge lets through to crypto.
      expect(sent).toBeGreaterThan(3 * budget)
      // Every M1 that cost crypto held a token: the global bucket bounds them (3 honest joins included).
      expect(crypto).toBeLessThanOrEqual(budget + 1)
      expect(edge.rateLimitedHandshakes + edge.evictedPipes + edge.refusedPipes).toBeGreaterThan(sent / 2)
      // Each join includes the wait in the kernel's accept queue behind the attacker's connections
      // (up to 511 of them), drained only as fast as the victim is scheduled: about 0.1 s with the
      // machine quiet or beside one CPU-bound process. Only when two cores are shared at load average
      // 15-20 (the victim then gets a fifth of a core) does that wait reach seconds; docs/benchmarks.md
      // reports both. The bound is the one the edge promises an honest newcomer.
      for (const j of joins) expect(j).toBeLessThan(2_000)
      expect(received.size).toBe(seq)
      expect(p99).toBeLessThan(1_000)
      attack.stop()
    } finally {
      await Promise.all([victim.close(), talker.close(), ...newcomers.map((t) => t.close())])
    }
  }, 40_000)
})
