/**
 * The patch of @fails-components/webtransport 1.6.8 (packages/transport/patches/), tested on
 * the library itself: the flow-control fix, stream credit returned on FIN (no lifetime stream cap),
 * finished streams released, the quiet import, and the certificate options of the HTTP/2 client.
 */
import { execFileSync } from 'node:child_process'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, it, expect, afterEach } from 'vitest'
import { Http2Server, WebTransport } from '@fails-components/webtransport'
import { createSelfSignedCertificate } from '../src/webtransport/certificate.ts'

setFlagsFromString('--expose_gc')
const gc = runInNewContext('gc') as () => void

interface Bidi { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> }
interface Session { ready: Promise<void>; closed: Promise<unknown>; close(): void; createBidirectionalStream(): Promise<Bidi>; incomingBidirectionalStreams: ReadableStream<Bidi> }

const certificate = createSelfSignedCertificate(['127.0.0.1'])
const cleanups: Array<() => void> = []
afterEach(() => { for (const c of cleanups.splice(0)) c() })

/** An echo server on the library's defaults except the stream limit; every stream echoes and ends. */
async function echoServer(streamLimit = 100): Promise<number> {
  const server = new Http2Server({
    port: 0, host: '127.0.0.1', cert: certificate.certPem, privKey: certificate.keyPem, secret: 'unused',
    initialBidirectionalStreams: streamLimit,
  } as ConstructorParameters<typeof Http2Server>[0])
  const sessions = server.sessionStream('/echo') as unknown as ReadableStream<Session>
  server.startServer()
  await server.ready
  cleanups.push(() => server.stopServer())
  void (async () => {
    for await (const session of sessions) {
      session.closed.catch(() => {})
      cleanups.push(() => session.close())
      void (async () => {
        for await (const stream of session.incomingBidirectionalStreams) stream.readable.pipeTo(stream.writable).catch(() => {})
      })().catch(() => {})
    }
  })()
  return server.address()!.port
}

async function client(port: number, options: Record<string, unknown>): Promise<Session> {
  const session = new WebTransport(`https://127.0.0.1:${port}/echo`, { forceReliable: true, ...options } as never) as unknown as Session
  session.closed.catch(() => {})
  session.ready.catch(() => {})
  cleanups.push(() => session.close())
  return session
}

const trusted = { serverCertificateHashes: [{ algorithm: 'sha-256', value: certificate.sha256 }] }

async function echoOnce(session: Session, payload: Uint8Array): Promise<Uint8Array> {
  const { readable, writable } = await session.createBidirectionalStream()
  const writer = writable.getWriter()
  void writer.write(payload).then(() => writer.close()).catch(() => {})
  const chunks: Uint8Array[] = []
  for await (const chunk of readable) chunks.push(chunk)
  return Buffer.concat(chunks)
}

describe('patched @fails-components/webtransport', () => {
  it('moves 2 MB from client to server with the default 16 KB initial session window (flow-control fix)', async () => {
    const session = await client(await echoServer(), trusted)
    await session.ready
    const payload = new Uint8Array(2 * 1024 * 1024).map((_, i) => i * 7)
    expect(Buffer.compare(await echoOnce(session, payload), payload)).toBe(0)
  })

  it('opens 300 streams one after another on one session with a limit of 8 (stream credit returns on FIN)', async () => {
    const session = await client(await echoServer(8), { ...trusted, initialBidirectionalSendStreams: 8 })
    await session.ready
    for (let i = 0; i < 300; i++) {
      const echoed = await echoOnce(session, new Uint8Array([i & 0xff, 1, 2]))
      expect(echoed[0]).toBe(i & 0xff)
    }
  })

  it('releases finished streams: 3000 short streams on one session grow the heap by far less than 15 KB each', async () => {
    const session = await client(await echoServer(64), { ...trusted, initialBidirectionalSendStreams: 64 })
    await session.ready
    for (let i = 0; i < 200; i++) await echoOnce(session, new Uint8Array([1]))
    gc(); gc()
    const before = process.memoryUsage().heapUsed
    for (let i = 0; i < 3000; i++) await echoOnce(session, new Uint8Array([1]))
    gc(); gc()
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(3000 * 3 * 1024)
  }, 60_000)

  it('accepts any server certificate only when asked to, and still enforces a pinned hash', async () => {
    const port = await echoServer()
    await expect((await client(port, { skipServerCertificateVerification: true })).ready).resolves.toBeUndefined()
    await expect((await client(port, {})).ready).rejects.toThrow()
    const wrongPin = { serverCertificateHashes: [{ algorithm: 'sha-256', value: new Uint8Array(32) }] }
    await expect((await client(port, wrongPin)).ready).rejects.toThrow()
  })

  it('imports without console output when the HTTP/3 addon is missing', () => {
    const script = "const m = await import('@fails-components/webtransport'); await m.quicheLoaded; await new Promise((r) => setTimeout(r, 100))"
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: new URL('..', import.meta.url), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DEBUG: '' },
    })
    expect(output).toBe('')
  })
})
