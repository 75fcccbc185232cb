/**
 * The WebTransport carrier's choice between HTTP/3 and HTTP/2 (src/webtransport/README.md). The native
 * HTTP/3 addon cannot be installed on the machines this project builds on, so the selection logic runs
 * against an in-process fake of the library (webtransport-fake.ts); the real library is checked for
 * reporting the addon absent, which keeps the real carrier on HTTP/2.
 */
import { createHash, X509Certificate } from 'node:crypto'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { bytesEqual } from '@saorsa-gossip/types'
import type { BytePipe, Carrier } from '../src/carrier.ts'
import {
  checkWebTransportLibrary, createWebTransportCarrier, encodeCertHash, http3AddonLoads, loadWebTransportLibrary,
  MAX_CERTIFICATE_VALIDITY_MS, parseWtAddress, type WebTransportCarrierInit,
} from '../src/webtransport/index.ts'
import { collect } from './carrier-conformance.ts'
import { createFakeNetwork, type FakeNetwork } from './webtransport-fake.ts'

const carriers: Carrier[] = []
afterEach(async () => {
  vi.useRealTimers()
  await Promise.all(carriers.splice(0).map((c) => c.close()))
})

function carrierOn(network: FakeNetwork, init: WebTransportCarrierInit = {}): Carrier {
  const carrier = createWebTransportCarrier({ ...init, loadLibrary: async () => network.library })
  carriers.push(carrier)
  return carrier
}

async function listen(carrier: Carrier): Promise<{ addr: string; accepted: Promise<BytePipe> }> {
  let onPipe!: (pipe: BytePipe) => void
  const accepted = new Promise<BytePipe>((resolve) => { onPipe = resolve })
  const listener = await carrier.listen('wt://127.0.0.1:0', (pipe) => onPipe(pipe))
  return { addr: listener.addr, accepted }
}

async function exchange(client: BytePipe, server: BytePipe): Promise<void> {
  const atServer = collect(server)
  const atClient = collect(client)
  await client.write(new Uint8Array([1, 2, 3]))
  await atServer.waitFor(3)
  await server.write(new Uint8Array([4, 5]))
  await atClient.waitFor(2)
  expect(bytesEqual(atServer.concat(), new Uint8Array([1, 2, 3]))).toBe(true)
  expect(bytesEqual(atClient.concat(), new Uint8Array([4, 5]))).toBe(true)
}

const kinds = (network: FakeNetwork): string[] => network.clients.map((c) => ('requireUnreliable' in c.init ? 'h3' : 'h2'))

describe('WebTransport listener with the HTTP/3 addon loaded', () => {
  it('serves HTTP/2 and HTTP/3 on the same port with one certificate and advertises its SHA-256 in the address', async () => {
    const network = createFakeNetwork({ http3: true })
    const { addr } = await listen(carrierOn(network))
    expect(network.servers.map((s) => s.kind)).toEqual(['h2', 'h3'])
    const [h2, h3] = network.servers
    const port = Number(/:(\d+)\?/.exec(addr)![1])
    expect(h2!.init.port).toBe(0)
    expect(h3!.init.port).toBe(port)
    expect(h3!.init.cert).toBe(h2!.init.cert)
    expect(h3!.init.secret).toMatch(/^[0-9a-f]{64}$/)
    const derHash = createHash('sha256').update(new X509Certificate(h2!.init.cert).raw).digest()
    expect(addr).toBe(`wt://127.0.0.1:${port}?certhash=${derHash.toString('base64url')}`)
    expect(bytesEqual(parseWtAddress(addr).certHash!, derHash)).toBe(true)
  })

  it('serves HTTP/2 alone with a plain address when the HTTP/3 socket cannot be bound', async () => {
    const network = createFakeNetwork({ http3: true })
    network.http3BindFails = true
    const { addr } = await listen(carrierOn(network))
    expect(addr).toMatch(/^wt:\/\/127\.0\.0\.1:\d+$/)
    expect(network.servers.map((s) => s.kind)).toEqual(['h2', 'h3'])
  })

  it("creates only the HTTP/2 server and a plain address with http3: 'off'", async () => {
    const network = createFakeNetwork({ http3: true })
    const { addr } = await listen(carrierOn(network, { http3: 'off' }))
    expect(addr).toMatch(/^wt:\/\/127\.0\.0\.1:\d+$/)
    expect(network.servers.map((s) => s.kind)).toEqual(['h2'])
  })

  it('creates only the HTTP/2 server and a plain address when the addon is not loaded', async () => {
    const network = createFakeNetwork({ http3: false })
    const { addr } = await listen(carrierOn(network))
    expect(addr).toMatch(/^wt:\/\/127\.0\.0\.1:\d+$/)
    expect(network.servers.map((s) => s.kind)).toEqual(['h2'])
  })

  it('refuses a listen address that carries a certhash and a certificate validity above 14 days', async () => {
    const network = createFakeNetwork({ http3: true })
    const carrier = carrierOn(network)
    await expect(carrier.listen(`wt://127.0.0.1:0?certhash=${encodeCertHash(new Uint8Array(32))}`, () => {}))
      .rejects.toMatchObject({ name: 'InvalidAddressError' })
    expect(() => createWebTransportCarrier({ certificateValidityMs: MAX_CERTIFICATE_VALIDITY_MS + 1 })).toThrow(/certificateValidityMs/)
    expect(() => createWebTransportCarrier({ http3: 'on' as 'auto' })).toThrow(/http3/)
  })
})

describe('WebTransport dialler with the HTTP/3 addon loaded', () => {
  it('dials HTTP/3 pinning the advertised hash, and the pipe carries bytes both ways', async () => {
    const network = createFakeNetwork({ http3: true })
    const carrier = carrierOn(network)
    const { addr, accepted } = await listen(carrier)
    const client = await carrier.dial(addr)
    expect(kinds(network)).toEqual(['h3'])
    const init = network.clients[0]!.init
    expect(init).toMatchObject({ requireUnreliable: true, quicConnectTimeout: 5_000 })
    expect('skipServerCertificateVerification' in init).toBe(false)
    if (!('serverCertificateHashes' in init)) throw new Error('expected an HTTP/3 client')
    expect(init.serverCertificateHashes).toHaveLength(1)
    expect(init.serverCertificateHashes[0]!.algorithm).toBe('sha-256')
    expect(bytesEqual(init.serverCertificateHashes[0]!.value, network.servers[1]!.certHash)).toBe(true)
    expect(network.clients[0]!.url).toBe(`https://127.0.0.1:${parseWtAddress(addr).port}/saorsa-gossip/1`)
    expect(client.remoteAddr).toBe(addr)
    await exchange(client, await accepted)
  })

  it('falls back to HTTP/2 without certificate checks when the HTTP/3 attempt is refused', async () => {
    const network = createFakeNetwork({ http3: true })
    const carrier = carrierOn(network)
    const { addr, accepted } = await listen(carrier)
    network.udp = 'refused'
    const client = await carrier.dial(addr)
    expect(kinds(network)).toEqual(['h3', 'h2'])
    expect(network.clients[1]!.init).toMatchObject({ forceReliable: true, skipServerCertificateVerification: true })
    expect('serverCertificateHashes' in network.clients[1]!.init).toBe(false)
    await exchange(client, await accepted)
  })

  it('falls back to HTTP/2 when the pinned hash does not match the listener (a restarted listener)', async () => {
    const network = createFakeNetwork({ http3: true })
    const carrier = carrierOn(network)
    const { addr, accepted } = await listen(carrier)
    const stale = `${addr.slice(0, addr.indexOf('=') + 1)}${encodeCertHash(new Uint8Array(32).fill(7))}`
    const client = await carrier.dial(stale)
    expect(kinds(network)).toEqual(['h3', 'h2'])
    await exchange(client, await accepted)
  })

  it('gives HTTP/3 half the dial timeout when UDP gets no answer, then dials HTTP/2 within the rest', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const network = createFakeNetwork({ http3: true })
    const carrier = carrierOn(network, { dialTimeoutMs: 1_000 })
    const { addr, accepted } = await listen(carrier)
    network.udp = 'silent'
    const dialing = carrier.dial(addr)
    await vi.advanceTimersByTimeAsync(499)
    expect(kinds(network)).toEqual(['h3'])
    await vi.advanceTimersByTimeAsync(1)
    const client = await dialing
    expect(kinds(network)).toEqual(['h3', 'h2'])
    await exchange(client, await accepted)
  })

  it('fails with a DialError naming both attempts when neither HTTP/3 nor HTTP/2 connects', async () => {
    const network = createFakeNetwork({ http3: true })
    const carrier = carrierOn(network)
    const addr = `wt://127.0.0.1:9?certhash=${encodeCertHash(new Uint8Array(32))}`
    await expect(carrier.dial(addr)).rejects.toMatchObject({ name: 'DialError', message: expect.stringMatching(/ECONNREFUSED.*after HTTP\/3/) })
    expect(kinds(network)).toEqual(['h3', 'h2'])
  })

  it('ends the dial on abort during the HTTP/3 attempt without trying HTTP/2', async () => {
    const network = createFakeNetwork({ http3: true })
    const carrier = carrierOn(network)
    const { addr } = await listen(carrier)
    network.udp = 'silent'
    const controller = new AbortController()
    const dialing = carrier.dial(addr, { signal: controller.signal })
    await vi.waitFor(() => expect(network.clients).toHaveLength(1))
    controller.abort()
    await expect(dialing).rejects.toMatchObject({ name: 'AbortError' })
    expect(kinds(network)).toEqual(['h3'])
  })

  it('times out the whole dial when the HTTP/2 fallback gets no answer either', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const network = createFakeNetwork({ http3: true })
    const carrier = carrierOn(network, { dialTimeoutMs: 1_000 })
    network.udp = 'silent'
    const addr = `wt://127.0.0.1:9?certhash=${encodeCertHash(new Uint8Array(32))}`
    network.tcp = 'silent'
    const dialing = carrier.dial(addr)
    dialing.catch(() => { /* asserted below */ })
    await vi.advanceTimersByTimeAsync(1_000)
    await expect(dialing).rejects.toMatchObject({ name: 'DialError', message: expect.stringMatching(/timed out after 1000 ms/) })
    expect(kinds(network)).toEqual(['h3', 'h2'])
  })

  it("never tries HTTP/3 with http3: 'off', even for an address with a certhash", async () => {
    const network = createFakeNetwork({ http3: true })
    const { addr, accepted } = await listen(carrierOn(network))
    const client = await carrierOn(network, { http3: 'off' }).dial(addr)
    expect(kinds(network)).toEqual(['h2'])
    expect(client.remoteAddr).toBe(addr)
    await exchange(client, await accepted)
  })

  it('dials HTTP/2 for a plain address, and for any address when the addon is not loaded', async () => {
    const withAddon = createFakeNetwork({ http3: true })
    const plain = await listen(carrierOn(withAddon, { http3: 'off' }))
    await exchange(await carrierOn(withAddon).dial(plain.addr), await plain.accepted)
    expect(kinds(withAddon)).toEqual(['h2'])

    const without = createFakeNetwork({ http3: false })
    const port = (await listen(carrierOn(without))).addr.split(':')[2]
    const pinned = `wt://127.0.0.1:${port}?certhash=${encodeCertHash(new Uint8Array(32))}`
    await carrierOn(without).dial(pinned)
    expect(kinds(without)).toEqual(['h2'])
  })
})

describe('HTTP/3 detection', () => {
  it('reports the addon absent from the real library on machines where it is not installed, so the carrier stays on HTTP/2', async () => {
    expect(await http3AddonLoads()).toBe(false)
    const library = await loadWebTransportLibrary()
    expect(library.http3).toBe(false)
    expect(typeof library.Http3Server).toBe('function')
    const carrier = createWebTransportCarrier()
    carriers.push(carrier)
    const listener = await carrier.listen('wt://127.0.0.1:0', () => {})
    expect(listener.addr).toMatch(/^wt:\/\/127\.0\.0\.1:\d+$/)
  })

  it("waits for the library's quicheLoaded and asks the probe only when the library has an Http3Server", async () => {
    let settle!: () => void
    const quicheLoaded = new Promise<void>((resolve) => { settle = resolve })
    const module = { Http2Server: class {}, Http3Server: class {}, WebTransport: class {}, saorsaGossipPatchLevel: 1, quicheLoaded }
    let probed = 0
    const checking = checkWebTransportLibrary(async () => module, { probeHttp3: async () => { probed++; return true } })
    await Promise.resolve()
    expect(probed).toBe(0)
    settle()
    expect((await checking).http3).toBe(true)
    expect(probed).toBe(1)
    const withoutHttp3 = { ...module, Http3Server: undefined }
    expect((await checkWebTransportLibrary(async () => withoutHttp3, { probeHttp3: async () => true })).http3).toBe(false)
  })
})
