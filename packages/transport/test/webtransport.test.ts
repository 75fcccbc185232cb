/**
 * WebTransport carrier (src/webtransport): the shared carrier conformance suite over HTTP/2, the
 * in-process certificate, and the carrier's own rules (one stream per session, shutdown closes
 * every session, no stream-count cap over many pipes).
 */
import { X509Certificate, createPrivateKey } from 'node:crypto'
import { describe, it, expect } from 'vitest'
import { bytesEqual } from '@saorsa-gossip/types'
import type { BytePipe } from '../src/carrier.ts'
import { createSelfSignedCertificate, MAX_CERTIFICATE_VALIDITY_MS } from '../src/webtransport/certificate.ts'
import { HandshakeError } from '../src/errors.ts'
import { createWebTransportCarrier } from '../src/webtransport/index.ts'

const SECRET_DETAIL = 'a1b2c3d4e5'
import { collect, runCarrierConformance } from './carrier-conformance.ts'

runCarrierConformance('wt', async () => {
  const carrier = createWebTransportCarrier()
  return { carrier, listenAddr: 'wt://127.0.0.1:0', cleanup: () => carrier.close() }
})

runCarrierConformance('wt over IPv6 loopback', async () => {
  const carrier = createWebTransportCarrier()
  return { carrier, listenAddr: 'wt://[::1]:0', cleanup: () => carrier.close() }
})

describe('self-signed certificate', () => {
  it('parses as X.509 v3 with the SAN entries, matches its key and verifies under its own public key', () => {
    const now = new Date('2026-11-20T12:00:00Z')
    const cert = createSelfSignedCertificate(['127.0.0.1', '::1', 'node.example'], { now })
    const x509 = new X509Certificate(cert.certPem)
    expect(x509.subjectAltName).toBe('IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:node.example')
    expect(x509.checkPrivateKey(createPrivateKey(cert.keyPem))).toBe(true)
    expect(x509.verify(x509.publicKey)).toBe(true)
    expect(x509.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1')
    expect(new Date(x509.validFrom).getTime()).toBe(cert.notBefore.getTime())
    expect(new Date(x509.validTo).getTime() - new Date(x509.validFrom).getTime()).toBe(MAX_CERTIFICATE_VALIDITY_MS)
    expect(cert.notBefore.getTime()).toBeLessThan(now.getTime())
    expect(Buffer.from(cert.sha256).toString('hex')).toBe(x509.fingerprint256.replaceAll(':', '').toLowerCase())
  })

  it('rejects a validity above the 14-day WebTransport limit and an empty host list', () => {
    expect(() => createSelfSignedCertificate(['127.0.0.1'], { validityMs: MAX_CERTIFICATE_VALIDITY_MS + 1 })).toThrow(/validityMs/)
    expect(() => createSelfSignedCertificate([])).toThrow(/hosts/)
  })

  it('uses GeneralizedTime for dates from 2050 on', () => {
    const cert = createSelfSignedCertificate(['127.0.0.1'], { now: new Date('2051-03-01T00:00:00Z') })
    expect(new X509Certificate(cert.certPem).validTo).toContain('2051')
  })
})

async function pair(carrier = createWebTransportCarrier()): Promise<{ client: BytePipe; server: BytePipe; addr: string; close(): Promise<void> }> {
  let onServer!: (p: BytePipe) => void
  const serverPipe = new Promise<BytePipe>((r) => { onServer = r })
  const listener = await carrier.listen('wt://127.0.0.1:0', (p) => onServer(p))
  const client = await carrier.dial(listener.addr)
  return { client, server: await serverPipe, addr: listener.addr, close: () => carrier.close() }
}

describe('WebTransport carrier', () => {
  it('closes a session on a local error with a generic reason: the error text never leaves the node', async () => {
    const { server, client, close } = await pair()
    const clientSide = collect(client)
    server.setReader({ onData() {}, onEnd() {} })
    server.close(new HandshakeError(`expected peer ${SECRET_DETAIL}, authenticated someone else`))
    const ended = await clientSide.ended
    expect(ended).toBeDefined()
    expect(String(ended?.message) + String((ended?.cause as Error | undefined)?.message)).not.toContain(SECRET_DETAIL)
    await close()
  })

  it('reports the dialler as the remote address on the listening side', async () => {
    const { server, client, addr, close } = await pair()
    expect(server.remoteAddr).toMatch(/^wt:\/\/127\.0\.0\.1:\d+$/)
    expect(server.localAddr).toBe(addr)
    expect(client.remoteAddr).toBe(addr)
    await close()
  })

  it('opens and closes 150 pipes in sequence against one listener (no lifetime stream cap)', async () => {
    const carrier = createWebTransportCarrier()
    const accepted: BytePipe[] = []
    const listener = await carrier.listen('wt://127.0.0.1:0', (p) => {
      accepted.push(p)
      const at = collect(p)
      void at.waitFor(4).then(() => p.write(at.concat()))
    })
    for (let i = 0; i < 150; i++) {
      const client = await carrier.dial(listener.addr)
      const at = collect(client)
      const ping = new Uint8Array([i, 1, 2, 3])
      await client.write(ping)
      await at.waitFor(4)
      expect(bytesEqual(at.concat(), ping)).toBe(true)
      client.close()
      await at.ended
    }
    expect(accepted.length).toBe(150)
    await carrier.close()
  })

  it('closes the pipes of a listener when the listener closes', async () => {
    const carrier = createWebTransportCarrier()
    let onServer!: (p: BytePipe) => void
    const serverPipe = new Promise<BytePipe>((r) => { onServer = r })
    const listener = await carrier.listen('wt://127.0.0.1:0', (p) => onServer(p))
    const client = await carrier.dial(listener.addr)
    const atClient = collect(client)
    const atServer = collect(await serverPipe)
    await listener.close()
    expect(await atServer.ended).toMatchObject({ name: 'ConnectionClosedError' })
    expect(await atClient.ended).toMatchObject({ name: 'ConnectionClosedError' })
    await expect(client.write(new Uint8Array(1))).rejects.toMatchObject({ name: 'ConnectionClosedError' })
    await expect(carrier.dial(listener.addr)).rejects.toMatchObject({ name: 'DialError' })
    await carrier.close()
  })

  it('rejects malformed addresses at the boundary', async () => {
    const carrier = createWebTransportCarrier()
    await expect(carrier.dial('tcp://127.0.0.1:1')).rejects.toMatchObject({ name: 'InvalidAddressError' })
    await expect(carrier.listen('wt://127.0.0.1', () => {})).rejects.toMatchObject({ name: 'InvalidAddressError' })
    await expect(carrier.dial('wt://127.0.0.1:0')).rejects.toMatchObject({ name: 'DialError' })
    expect(() => createWebTransportCarrier({ lingerMs: 0 })).toThrow(/lingerMs/)
    await carrier.close()
  })

  it('aborts a dial in progress when its signal fires', async () => {
    const carrier = createWebTransportCarrier()
    const listener = await carrier.listen('wt://127.0.0.1:0', () => {})
    const controller = new AbortController()
    const dialing = carrier.dial(listener.addr, { signal: controller.signal })
    controller.abort()
    await expect(dialing).rejects.toMatchObject({ name: 'AbortError' })
    await carrier.close()
  })
})
