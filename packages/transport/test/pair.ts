/** Two transports over one in-memory network, connected, with the connection seen from each side. */
import { loadMlDsa65Backend } from '@saorsa-gossip/identity'
import { createMemoryNetwork } from '../src/carriers/memory.ts'
import { createTransport } from '../src/transport.ts'
import type { Connection, Transport, TransportInit } from '../src/types.ts'
import { identities, waitForEvent } from './transport-suite.ts'

export interface Pair { a: Transport; b: Transport; out: Connection; inb: Connection; close(): Promise<void> }

let counter = 0

export async function connectedPair(extraA: Partial<TransportInit> = {}, extraB: Partial<TransportInit> = {}): Promise<Pair> {
  await loadMlDsa65Backend()
  const network = createMemoryNetwork()
  const a = createTransport({ identity: identities[0]!, carriers: [network.carrier()], ...extraA })
  const b = createTransport({ identity: identities[1]!, carriers: [network.carrier()], ...extraB })
  const addr = await b.listen(`mem://pair-${counter++}`)
  const opened = waitForEvent<{ connection: Connection }>(b, 'connection:open')
  const out = await a.dial(addr, { expectedPeer: b.peerId })
  const { connection: inb } = await opened
  return { a, b, out, inb, close: async () => { await a.close(); await b.close() } }
}
