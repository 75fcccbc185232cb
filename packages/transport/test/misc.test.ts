import { describe, it, expect, beforeAll, afterEach } from 'vitest'
import { loadMlDsa65Backend } from '@saorsa-gossip/identity'
import { addressScheme, formatHostPort, parseHostPort, parseMemoryName } from '../src/address.ts'
import { createMemoryNetwork } from '../src/carriers/memory.ts'
import { createTransport } from '../src/transport.ts'
import type { Transport } from '../src/types.ts'
import { identities, until } from './transport-suite.ts'

describe('addresses', () => {
  it('parses IPv4, bracketed IPv6 and DNS hosts and formats them back', () => {
    expect(parseHostPort('tcp://127.0.0.1:4000', 'tcp')).toEqual({ host: '127.0.0.1', port: 4000 })
    expect(parseHostPort('tcp://[::1]:0', 'tcp')).toEqual({ host: '::1', port: 0 })
    expect(parseHostPort('tcp://node-1.example.org:65535', 'tcp')).toEqual({ host: 'node-1.example.org', port: 65535 })
    expect(formatHostPort('tcp', '::1', 5)).toBe('tcp://[::1]:5')
    expect(formatHostPort('tcp', '10.0.0.1', 5)).toBe('tcp://10.0.0.1:5')
    expect(parseMemoryName('mem://node-1.a_b')).toBe('node-1.a_b')
    expect(addressScheme('wt://h:1')).toBe('wt')
  })

  it('rejects malformed addresses with InvalidAddressError', () => {
    const bad = ['', 'localhost:80', 'tcp://', 'tcp://1.2.3.4', 'tcp://1.2.3.4:65536', 'tcp://::1:80', 'tcp://[1.2.3.4]:80',
      'tcp://300.1.1.1:80', 'tcp://host:80/path', 'mem://', 'mem://a b', `mem://${'x'.repeat(65)}`, `tcp://${'a'.repeat(300)}:1`]
    for (const addr of bad) {
      expect(() => (addr.startsWith('mem') ? parseMemoryName(addr) : parseHostPort(addr, 'tcp')), addr)
        .toThrow(expect.objectContaining({ name: 'InvalidAddressError' }))
    }
  })
})

describe('transport boundaries', () => {
  const cleanups: Array<() => Promise<void>> = []
  beforeAll(async () => { await loadMlDsa65Backend() })
  afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

  function make(init: Partial<Parameters<typeof createTransport>[0]> = {}, network = createMemoryNetwork()): Transport {
    const t = createTransport({ identity: identities[0]!, carriers: [network.carrier()], ...init })
    cleanups.push(() => t.close())
    return t
  }

  it('rejects addresses without a configured carrier and bad options', async () => {
    const t = make()
    await expect(t.dial('tcp://127.0.0.1:1')).rejects.toMatchObject({ name: 'InvalidAddressError' })
    await expect(t.listen('udp://x:1')).rejects.toMatchObject({ name: 'InvalidAddressError' })
    expect(() => createTransport({ identity: identities[0]!, handshakeTimeoutMs: 0 })).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
    expect(() => t.handle('video' as never, () => {})).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
  })

  it('fails a dial with TimeoutError when the listener never answers the handshake', async () => {
    const network = createMemoryNetwork()
    const silent = network.carrier()
    await silent.listen('mem://silent', (pipe) => pipe.setReader({ onData() {}, onEnd() {} }))
    cleanups.push(() => silent.close())
    const t = make({ handshakeTimeoutMs: 50 }, network)
    await expect(t.dial('mem://silent')).rejects.toMatchObject({ name: 'TimeoutError' })
    expect(t.stats().pendingHandshakes).toBe(0)
    await until(() => network.stats().openPipes === 0)
  })

  it('aborts a dial whose signal fires during the handshake', async () => {
    const network = createMemoryNetwork()
    const silent = network.carrier()
    await silent.listen('mem://silent', (pipe) => pipe.setReader({ onData() {}, onEnd() {} }))
    cleanups.push(() => silent.close())
    const t = make({}, network)
    const controller = new AbortController()
    const dialing = t.dial('mem://silent', { signal: controller.signal })
    await until(() => network.stats().openPipes === 2)
    controller.abort()
    await expect(dialing).rejects.toMatchObject({ name: 'AbortError' })
    await until(() => network.stats().openPipes === 0)
  })

  it('times out an inbound pipe that never sends M1 and keeps serving', async () => {
    const network = createMemoryNetwork()
    const server = make({ handshakeTimeoutMs: 50 }, network)
    const addr = await server.listen('mem://server')
    const idle = await network.carrier().dial(addr)
    idle.setReader({ onData() {}, onEnd() {} })
    await until(() => server.stats().failedHandshakes === 1, 1_000_000)
    expect(server.stats().pendingHandshakes).toBe(0)
    const client = createTransport({ identity: identities[3]!, carriers: [network.carrier()] })
    cleanups.push(() => client.close())
    await client.dial(addr, { expectedPeer: server.peerId })
  })

  it('refuses to keep a connection to itself', async () => {
    const network = createMemoryNetwork()
    const t = make({}, network)
    const addr = await t.listen('mem://self')
    await expect(t.dial(addr)).rejects.toMatchObject({ name: 'DialError' })
    await expect(t.dial(addr, { expectedPeer: t.peerId })).rejects.toMatchObject({ name: 'InvalidParametersError' })
    await until(() => t.stats().pendingHandshakes === 0)
    expect(t.connections()).toHaveLength(0)
  })

  it('rejects dial and listen after close', async () => {
    const t = make()
    await t.close()
    await t.close()
    await expect(t.dial('mem://x')).rejects.toMatchObject({ name: 'NotStartedError' })
    await expect(t.listen('mem://x')).rejects.toMatchObject({ name: 'NotStartedError' })
  })
})
