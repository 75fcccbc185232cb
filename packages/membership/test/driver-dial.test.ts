/**
 * When the membership driver opens a connection: a message for a peer without one dials it, unless
 * the binding says the message is not worth a handshake (the membership service's HyParView
 * DISCONNECT), which is then dropped as 'no-connection' and never opens one.
 */
import { describe, expect, it } from 'vitest'
import { Identity } from '@saorsa-gossip/identity'
import type { Clock, CoreInput, CoreOutput, PeerId, ProtocolCore } from '@saorsa-gossip/types'
import { createMemoryNetwork, createTransport } from '@saorsa-gossip/transport'
import { MEMBERSHIP_PROTOCOL, MembershipDriver, type CoreBinding } from '../src/index.ts'

const clock: Clock = { now: () => Date.now(), wallNow: () => Date.now() }
const [alice, bob] = [1, 2].map((i) => Identity.generate({ seed: new Uint8Array(32).fill(40 + i) })) as [Identity, Identity]

type Say = { readonly type: 'say'; readonly to: PeerId; readonly text: string }

/** Sends each 'say' command's text to its peer; nothing else. */
class Sayer implements ProtocolCore<string, never, Say, never> {
  handle(input: CoreInput<string, never, Say>, _nowMs: number, out: Array<CoreOutput<string, never, never>>): void {
    if (input.type === 'command') out.push({ type: 'send', to: input.command.to, msg: input.command.text })
  }
}

const ioTurns = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

describe('membership driver dialling', () => {
  it('drops a message not worth a handshake when no connection is open, and sends it over one that is', async () => {
    const net = createMemoryNetwork()
    const a = createTransport({ identity: alice, carriers: [net.carrier()] })
    const b = createTransport({ identity: bob, carriers: [net.carrier()] })
    await a.listen('mem://alice')
    const bobAddr = await b.listen('mem://bob')
    const heard: string[] = []
    b.handle(MEMBERSHIP_PROTOCOL, (bytes) => { heard.push(new TextDecoder().decode(bytes)) })
    const binding: CoreBinding<string, never, Say, never> = {
      core: new Sayer(),
      encode: (msg) => new TextEncoder().encode(msg),
      decode: (bytes) => new TextDecoder().decode(bytes),
      connectionOpened: () => [],
      connectionClosed: () => [],
      onEvent: () => {},
      worthDialling: (msg) => msg !== 'bye',
    }
    const driver = new MembershipDriver(a, binding, clock)
    driver.start()
    driver.rememberAddresses(bob.peerId, [bobAddr])
    try {
      driver.input({ type: 'command', command: { type: 'say', to: bob.peerId, text: 'bye' } })
      await ioTurns(20)
      expect(a.connections()).toHaveLength(0)
      expect(driver.metrics()).toMatchObject({ dials: 0, messagesSent: 0, dropped: { 'no-connection': 1 } })

      driver.input({ type: 'command', command: { type: 'say', to: bob.peerId, text: 'hello' } })
      for (let i = 0; i < 200 && heard.length === 0; i++) await ioTurns(5)
      driver.input({ type: 'command', command: { type: 'say', to: bob.peerId, text: 'bye' } })
      for (let i = 0; i < 200 && heard.length < 2; i++) await ioTurns(5)
      expect(heard).toEqual(['hello', 'bye'])
      expect(driver.metrics()).toMatchObject({ dials: 1, messagesSent: 2, dropped: { 'no-connection': 1 } })
    } finally {
      driver.stop()
      await Promise.all([a.close(), b.close()])
    }
  })
})
