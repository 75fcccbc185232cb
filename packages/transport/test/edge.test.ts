/**
 * The inbound edge (SPEC.md section 5.7), each attack measured with an honest peer alongside it, over
 * loopback TCP from many source addresses (127.0.0.0/8, attacker in a child process): silent sockets cannot lock out a newcomer,
 * one identity cannot hold more than the per-peer cap, and malformed messages end in disconnect and
 * graylist. Also the pure parts: sources, token rationing and the penalty table.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { Identity, loadMlDsa65Backend } from '@saorsa-gossip/identity'
import { DecodeError } from '@saorsa-gossip/types'
import { loadAead } from '../src/channel/aead.ts'
import { DEFAULT_REKEY, RecordSealer } from '../src/channel/records.ts'
import { secureOutbound } from '../src/channel/secure-pipe.ts'
import { createMemoryNetwork } from '../src/carriers/memory.ts'
import { EDGE_DEFAULTS } from '../src/edge/preset.ts'
import { Penalties } from '../src/edge/penalties.ts'
import { sourceOf } from '../src/edge/source.ts'
import { HandshakeTokens, type TokenWaiter } from '../src/edge/tokens.ts'
import { createTransport } from '../src/transport.ts'
import type { Transport } from '../src/types.ts'
import { eventually, startAttacker } from './edge-attacker.ts'
import { MSHIP } from './protocols.ts'
import { UNRATIONED_EDGE, until } from './transport-suite.ts'

const victimId = Identity.generate({ seed: new Uint8Array(32).fill(90) })
const honestIds = Array.from({ length: 3 }, (_, i) => Identity.generate({ seed: new Uint8Array(32).fill(91 + i) }))
const attackerId = Identity.generate({ seed: new Uint8Array(32).fill(99) })
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

function portOf(addr: string): number { return Number(/:(\d+)$/.exec(addr)![1]) }

describe('sources', () => {
  it('charge IPv4 by address, IPv6 by /64, mapped IPv4 as IPv4, and anything else by the whole address', () => {
    expect(sourceOf('tcp://127.0.3.4:5000')).toBe('127.0.3.4')
    expect(sourceOf('tcp://[2001:db8:1:2:aaaa::1]:7')).toBe('2001:db8:1:2::/64')
    expect(sourceOf('tcp://[2001:db8:1:2:bbbb:cccc:dddd:eeee]:7')).toBe('2001:db8:1:2::/64')
    expect(sourceOf('tcp://[2001:db8::1]:7')).toBe('2001:db8:0:0::/64')
    expect(sourceOf('tcp://[::ffff:10.1.2.3]:7')).toBe('10.1.2.3')
    expect(sourceOf('wt://[::1]:443')).toBe('0:0:0:0::/64')
    expect(sourceOf('mem://anon-7')).toBe('anon-7')
  })
})

describe('handshake tokens', () => {
  const rates = { handshakesPerSecondPerSource: 2, handshakeBurstPerSource: 4, handshakesPerSecond: 10, handshakeBurst: 10 }
  const waiter = (source: string, sinceMs: number, granted: string[]): TokenWaiter => ({ source, sinceMs, grant: () => granted.push(`${source}@${sinceMs}`) })

  it('refuses a source over its own rate before any global token is spent, and refills it with time', () => {
    const tokens = new HandshakeTokens(rates, 0)
    const granted: string[] = []
    for (let i = 0; i < 4; i++) expect(tokens.request(waiter('a', 0, granted), 0)).toBe('granted')
    expect(tokens.request(waiter('a', 0, granted), 0)).toBe('refused')
    expect(tokens.request(waiter('a', 500, granted), 500)).toBe('granted')
  })

  it('serves a newcomer before sources that asked a lot lately when the global bucket is empty', () => {
    const tokens = new HandshakeTokens(rates, 0)
    const granted: string[] = []
    for (let s = 0; s < 10; s++) expect(tokens.request(waiter(`flood${s}`, 0, granted), 0)).toBe('granted')
    for (let s = 0; s < 10; s++) expect(tokens.request(waiter(`flood${s}`, 1 + s, granted), 1 + s)).toBe('queued')
    expect(tokens.request(waiter('newcomer', 20, granted), 20)).toBe('queued')
    expect(tokens.msUntilNext(20)).toBeGreaterThan(0)
    tokens.serve(101)
    expect(granted).toEqual(['newcomer@20'])
    expect(tokens.demand('newcomer', 101)).toBeLessThan(tokens.demand('flood0', 101))
    tokens.serve(201)
    expect(granted).toEqual(['newcomer@20', 'flood0@1'])
  })
})

describe('penalties', () => {
  const limits = { maxInvalidScore: 16, invalidScoreHalfLifeMs: 60_000, graylistMs: 600_000, graylistSourceAfterPeers: 2 }

  it('graylist a peer at the score limit for graylistMs, and forgive slow trickles', () => {
    const p = new Penalties(limits)
    for (let i = 0; i < 15; i++) expect(p.add('peer', 'src', 1, 0)).toBe(false)
    expect(p.add('peer', 'src', 1, 0)).toBe(true)
    expect(p.peerGraylisted('peer', 599_999)).toBe(true)
    expect(p.peerGraylisted('peer', 600_000)).toBe(false)
    expect(p.sourceGraylisted('src', 1)).toBe(false)
    // One bad message a minute never adds up.
    const slow = new Penalties(limits)
    for (let i = 0; i < 100; i++) expect(slow.add('peer', 'src', 1, i * 60_000)).toBe(false)
  })

  it('graylist a source only once a second identity from it is graylisted', () => {
    const p = new Penalties(limits)
    p.add('one', 'src', 16, 0)
    expect(p.sourceGraylisted('src', 0)).toBe(false)
    p.add('two', 'src', 16, 0)
    expect(p.sourceGraylisted('src', 0)).toBe(true)
    expect(p.graylistedSources).toBe(1)
  })
})

describe('attacks on the edge, with an honest peer alongside', () => {
  it('a peer whose records break the channel twice is graylisted: its next handshake ends refused', async () => {
    await loadMlDsa65Backend()
    const aead = await loadAead()
    const network = createMemoryNetwork()
    const victim = createTransport({ identity: victimId, carriers: [network.carrier()] })
    transports.push(victim)
    const addr = await victim.listen('mem://edge-violation')
    const attackerCarrier = network.carrier()
    const closes: string[] = []
    victim.addEventListener('connection:close', (e) => { closes.push(e.detail.error?.name ?? 'none') })
    for (let round = 0; round < 2; round++) {
      const pipe = await attackerCarrier.dial(addr)
      const { result, inbox } = await secureOutbound(pipe, { identity: attackerId, aead }, { timeoutMs: 5_000 })
      inbox.handover({ onData() {}, onEnd() {} })
      const forged = new RecordSealer(aead, new Uint8Array(32).fill(1), DEFAULT_REKEY).seal([new Uint8Array(8)])
      result.sendKey.fill(0)
      await pipe.write(forged)
      await until(() => closes.length === round + 1)
      pipe.close()
    }
    expect(closes).toEqual(['RecordAuthError', 'RecordAuthError'])
    expect(victim.stats().edge.graylistedPeers).toBe(1)
    // Coming back: the handshake completes, then the victim refuses the graylisted PeerId before
    // registering a connection (counted as a failed handshake, no connection ever listed).
    const failedBefore = victim.stats().failedHandshakes
    const again = createTransport({ identity: attackerId, carriers: [attackerCarrier] })
    transports.push(again)
    const outcome = await again.dial(addr, { expectedPeer: victimId.peerId }).then((c) => c.closed.then(() => 'closed'), (e: Error) => e.name)
    expect(['closed', 'ConnectionClosedError', 'HandshakeError']).toContain(outcome)
    await until(() => victim.stats().failedHandshakes === failedBefore + 1)
    expect(victim.connections()).toEqual([])
    expect(closes.length).toBe(2)
  })

  const transports: Transport[] = []
  afterEach(async () => { await Promise.all(transports.splice(0).map((t) => t.close())) })

  it('1,000 silent sockets from 50 source addresses: a fresh honest peer still connects within 2 s', async () => {
    await loadMlDsa65Backend()
    const victim = createTransport({ identity: victimId })
    transports.push(victim)
    const addr = await victim.listen('tcp://127.0.0.1:0')
    const attack = startAttacker({ mode: 'silent', port: portOf(addr), count: 1000, sources: 50, subnet: 1, reopenMs: 1_000 })
    try {
      // Let all 1,000 sockets connect: the pending table is full of silent pipes from then on.
      // The attacker runs at the lowest priority; beside a CPU-bound process opening them takes a while.
      await eventually(() => attack.sent >= 1000, 40_000)
      await sleep(300)
      expect(victim.stats().pendingHandshakes).toBeGreaterThanOrEqual(EDGE_DEFAULTS.maxPendingHandshakes)
      const honest = createTransport({ identity: honestIds[0]! })
      transports.push(honest)
      const latencies: number[] = []
      for (let round = 0; round < 3; round++) {
        const started = performance.now()
        const conn = await honest.dial(addr, { expectedPeer: victimId.peerId })
        latencies.push(performance.now() - started)
        await conn.close()
        await sleep(300)
      }
      const edge = victim.stats().edge
      console.log(`silent sockets: honest dial ${latencies.map((l) => l.toFixed(0)).join(' / ')} ms; victim refused ${edge.refusedPipes}, evicted ${edge.evictedPipes}, timed out ${edge.silentPipes} silent pipes`)
      for (const latency of latencies) expect(latency).toBeLessThan(2_000)
      expect(edge.refusedPipes + edge.evictedPipes).toBeGreaterThan(0)
      expect(victim.stats().pendingHandshakes).toBeLessThanOrEqual(EDGE_DEFAULTS.maxPendingHandshakes)
    } finally {
      attack.stop()
    }
  }, 70_000)

  it('one identity dialling 200 times holds at most the per-peer cap of connections', async () => {
    await loadMlDsa65Backend()
    const network = createMemoryNetwork()
    // Rationing is not the subject here: 200 dials would otherwise wait on the handshake rate.
    const victim = createTransport({ identity: victimId, carriers: [network.carrier()], edge: { ...UNRATIONED_EDGE, maxInvalidScore: EDGE_DEFAULTS.maxInvalidScore } })
    const attacker = createTransport({ identity: attackerId, carriers: [network.carrier()], edge: UNRATIONED_EDGE })
    const honest = createTransport({ identity: honestIds[1]!, carriers: [network.carrier()] })
    transports.push(victim, attacker, honest)
    const addr = await victim.listen('mem://edge-cap')
    let most = 0
    const held = (): number => victim.connections().filter((c) => c.remotePeer.equals(attackerId.peerId)).length
    for (let batch = 0; batch < 20; batch++) {
      await Promise.all(Array.from({ length: 10 }, () => attacker.dial(addr).catch(() => undefined)))
      most = Math.max(most, held())
    }
    await until(() => held() <= EDGE_DEFAULTS.maxConnectionsPerPeer)
    const conn = await honest.dial(addr, { expectedPeer: victimId.peerId })
    await until(() => victim.connectionTo(honestIds[1]!.peerId) !== undefined)
    expect(conn.closeError).toBeUndefined()
    console.log(`200 dials by one identity: at most ${most} held, ${victim.stats().edge.closedOverPeerCap} replaced`)
    expect(most).toBeLessThanOrEqual(EDGE_DEFAULTS.maxConnectionsPerPeer)
    expect(victim.stats().edge.closedOverPeerCap).toBeGreaterThanOrEqual(200 - EDGE_DEFAULTS.maxConnectionsPerPeer)
  }, 40_000)

  it('messages that fail to decode end in disconnect and a graylist, and the honest peer keeps its connection', async () => {
    await loadMlDsa65Backend()
    const network = createMemoryNetwork()
    const victim = createTransport({ identity: victimId, carriers: [network.carrier()] })
    const attacker = createTransport({ identity: attackerId, carriers: [network.carrier()] })
    const honest = createTransport({ identity: honestIds[2]!, carriers: [network.carrier()] })
    transports.push(victim, attacker, honest)
    let delivered = 0
    victim.handle(MSHIP, (message) => {
      if (message[0] === 0xff) throw new DecodeError('not a valid test message')
      delivered++
    })
    const addr = await victim.listen('mem://edge-graylist')
    const bad = await attacker.dial(addr, { expectedPeer: victimId.peerId })
    const good = await honest.dial(addr, { expectedPeer: victimId.peerId })
    let badClosed = false
    void bad.closed.then(() => { badClosed = true })
    let sent = 0
    while (!badClosed && sent < 100) {
      await bad.send(MSHIP, new Uint8Array([0xff])).catch(() => undefined)
      await good.send(MSHIP, new Uint8Array([1]))
      sent++
      await sleep(1)
    }
    await until(() => badClosed)
    const victimSide = victim.connections().find((c) => c.remotePeer.equals(attackerId.peerId))
    expect(victimSide).toBeUndefined()
    expect(sent).toBeLessThanOrEqual(EDGE_DEFAULTS.maxInvalidScore + 4)
    expect(victim.stats().edge.graylistedPeers).toBe(1)
    // Coming back under the same identity is refused after the handshake.
    const again = await attacker.dial(addr, { expectedPeer: victimId.peerId }).catch((e: Error) => e)
    if (!(again instanceof Error)) await again.closed
    await until(() => victim.connections().every((c) => !c.remotePeer.equals(attackerId.peerId)))
    expect(victim.connectionTo(honestIds[2]!.peerId)).toBeDefined()
    await until(() => delivered === sent)
  }, 30_000)
})
