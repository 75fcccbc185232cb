/**
 * Shared by the driver and service tests over the in-memory carrier: fake timers for the driver
 * (setTimeout, Date) while the carrier's setImmediate stays real, virtual time advanced in 50 ms
 * steps with network delivery in between, and a teardown that stops every node and its transport.
 */
import { afterEach, beforeEach, vi } from 'vitest'
import type { Transport } from '@saorsa-gossip/transport'
import type { Membership } from '../src/index.ts'

const yieldIo = async (rounds: number): Promise<void> => {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

/** Advances virtual time in 50 ms steps, letting the in-memory network deliver in between. */
export async function run(ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 50) {
    await vi.advanceTimersByTimeAsync(50)
    await yieldIo(4)
  }
}

/**
 * Installs fake timers before each test and, after it, stops the nodes `current()` returns and
 * closes their transports (two virtual seconds for the closes to finish).
 */
export function useFakeTimersAndStop(current: () => ReadonlyArray<{ membership: Membership; transport: Transport }>): void {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
  })

  afterEach(async () => {
    const nodes = current()
    for (const n of nodes) await n.membership.stop()
    const closing = Promise.all(nodes.map((n) => n.transport.close()))
    await run(2000)
    await closing
    vi.useRealTimers()
  })
}
