/**
 * The address book (the iroh-gossip-discovery feature) over the simulated gossip stack: every node
 * publishes its peer record (a pubsub message its origin signs) on the discovery topic, all books
 * converge to the same list, and a killed node leaves every book once it has been silent for the
 * expiry (LOCAL preset: 2 s / 8 s). A book larger than the record budget allows stretches its
 * interval and expiry, so every node receives about `maxRecordsPerSecond` records whatever the size.
 */
import { describe, expect, it } from 'vitest'
import { COORDINATOR_LOCAL, type CoordinatorConfig } from '@saorsa-gossip/coordinator'
import type { PeerId } from '@saorsa-gossip/types'
import { CoordinatorNetwork } from '../src/scenarios/coordinator-network.ts'

describe('address book, 30 nodes', () => {
  it('converges to one book on every node and drops a killed node after its expiry (seed 3)', async () => {
    const net = new CoordinatorNetwork({ seed: 3, nodes: 30 })
    await net.sim.runForAsync(3_000)
    net.startAddressBook()
    const books = (ids: readonly PeerId[]): string[] =>
      ids.map((id) => net.stack(id).coordinator.addressBook.entries().map((e) => `${e.peerId.toHex()}@${e.addresses.join(',')}`).join(' '))
    const converged = await net.sim.runUntilAsync(() => new Set(books(net.ids)).size === 1 && net.stack(net.ids[0]!).coordinator.addressBook.size === 30, { timeoutMs: 20_000 })
    const convergedAfterMs = net.sim.now - 3_000
    expect(converged).toBe(true)
    const victim = net.ids[7]!
    net.sim.kill(victim)
    const killedAt = net.sim.now
    const alive = net.ids.filter((id) => !id.equals(victim))
    const gone = await net.sim.runUntilAsync(() => alive.every((id) => net.stack(id).coordinator.addressBook.get(victim) === undefined), { timeoutMs: 30_000 })
    const leftAfterMs = net.sim.now - killedAt
    expect(gone).toBe(true)
    expect(new Set(books(alive)).size).toBe(1)
    console.log(`coordinator address book 30 nodes ${JSON.stringify({ convergedAfterMs, leftAfterMs, size: net.stack(alive[0]!).coordinator.addressBook.size })}`)
    // Silent for the expiry after its last publication (at most 1.5 intervals before the kill), then
    // caught by the next expiry sweep (a third of the expiry later at most).
    expect(leftAfterMs).toBeLessThanOrEqual(COORDINATOR_LOCAL.addressBook.expiryMs + COORDINATOR_LOCAL.addressBook.publishIntervalMs * 1.5 + COORDINATOR_LOCAL.addressBook.expiryMs / 3)
  })
})

describe('address book over its record budget, 40 nodes', () => {
  // 40 peers at 4 records a second: every 10 s (against 2 s unbounded, 20 records a second), expiry 40 s.
  const BUDGET = 4
  const CONFIG: CoordinatorConfig = { ...COORDINATOR_LOCAL, addressBook: { ...COORDINATOR_LOCAL.addressBook, maxRecordsPerSecond: BUDGET } }

  it('receives about the budget per node, never expires a live peer, and drops a killed one within the stretched expiry (seed 5)', async () => {
    const net = new CoordinatorNetwork({ seed: 5, nodes: 40, config: CONFIG })
    await net.sim.runForAsync(3_000)
    net.startAddressBook()
    const start = net.sim.now
    const full = await net.sim.runUntilAsync(() => net.ids.every((id) => net.stack(id).coordinator.addressBook.size === 40), { timeoutMs: 30_000 })
    expect(full).toBe(true)
    const convergedAfterMs = net.sim.now - start
    const book = net.stack(net.ids[0]!).coordinator.addressBook
    expect([book.publishIntervalMs(), book.expiryMs()]).toEqual([10_000, 40_000])
    // Steady state: four intervals, counting records that changed a book (one per publication and node).
    const windowStart = net.sim.now
    const from = net.events.length
    await net.sim.runForAsync(40_000)
    const window = net.events.slice(from)
    const received = window.filter((e) => e.event.type === 'peer-updated' && !e.event.peerId.equals(e.node)).length
    const perNodePerSecond = received / 40 / ((net.sim.now - windowStart) / 1000)
    const expiredLive = net.events.filter((e) => e.event.type === 'peer-expired').length
    const victim = net.ids[11]!
    net.sim.kill(victim)
    const killedAt = net.sim.now
    const alive = net.ids.filter((id) => !id.equals(victim))
    const gone = await net.sim.runUntilAsync(() => alive.every((id) => net.stack(id).coordinator.addressBook.get(victim) === undefined), { timeoutMs: 120_000 })
    const leftAfterMs = net.sim.now - killedAt
    console.log(`coordinator address book 40 nodes, budget ${BUDGET}/s ${JSON.stringify({ convergedAfterMs, perNodePerSecond, expiredLive, leftAfterMs })}`)
    expect(perNodePerSecond).toBeGreaterThan(BUDGET * 0.75)
    expect(perNodePerSecond).toBeLessThan(BUDGET * 1.25)
    expect(expiredLive).toBe(0)
    expect(gone).toBe(true)
    expect(leftAfterMs).toBeGreaterThan(40_000)
    expect(leftAfterMs).toBeLessThanOrEqual(40_000 + 10_000 * 1.5 + 40_000 / 3)
    expect(alive.every((id) => net.stack(id).coordinator.addressBook.size === 39)).toBe(true)
  })
})
