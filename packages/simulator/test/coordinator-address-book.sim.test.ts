/**
 * The address book (the iroh-gossip-discovery feature) over the simulated gossip stack: every node
 * publishes its peer record (a pubsub message its origin signs) on the discovery topic, all books
 * converge to the same list, and a killed node leaves every book once it has been silent for the
 * expiry (LOCAL preset: 2 s / 8 s).
 */
import { describe, expect, it } from 'vitest'
import { COORDINATOR_LOCAL } from '@saorsa-gossip/coordinator'
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
