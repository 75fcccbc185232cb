/**
 * The carrier conformance suite (carrier contract in src/carrier.ts): every carrier's test file
 * calls `runCarrierConformance`, so TCP, in-memory, fault-wrapped and WebTransport carriers are held
 * to the same rules: ordered integrity both ways, backpressure without loss, close semantics, fast dial failure.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { SeededRng, bytesEqual } from '@saorsa-gossip/types'
import type { BytePipe, Carrier } from '../src/carrier.ts'

export interface CarrierFixture { carrier: Carrier; listenAddr: string; cleanup(): Promise<void> }

/** Records what a pipe's reader receives. */
export interface Collected {
  readonly chunks: Uint8Array[]
  readonly ended: Promise<Error | undefined>
  endCount(): number
  bytes(): number
  concat(): Uint8Array
  /** Resolves once at least `n` bytes arrived (or rejects if the pipe ends first). */
  waitFor(n: number): Promise<void>
}

export function collect(pipe: BytePipe): Collected {
  const chunks: Uint8Array[] = []
  let total = 0
  let ends = 0
  const waiters: Array<{ n: number; resolve: () => void; reject: (e: Error) => void }> = []
  let resolveEnded!: (e: Error | undefined) => void
  const ended = new Promise<Error | undefined>((r) => { resolveEnded = r })
  const check = (): void => {
    for (const w of [...waiters]) if (total >= w.n) { waiters.splice(waiters.indexOf(w), 1); w.resolve() }
  }
  pipe.setReader({
    onData(chunk) { chunks.push(chunk.slice()); total += chunk.length; check() },
    onEnd(error) {
      ends++
      resolveEnded(error)
      for (const w of waiters.splice(0)) w.reject(new Error(`pipe ended after ${total} bytes, wanted ${w.n}`))
    },
  })
  return {
    chunks, ended, endCount: () => ends, bytes: () => total,
    concat() {
      const out = new Uint8Array(total)
      let off = 0
      for (const c of chunks) { out.set(c, off); off += c.length }
      return out
    },
    waitFor(n) {
      if (total >= n) return Promise.resolve()
      if (ends > 0) return Promise.reject(new Error(`pipe ended after ${total} bytes, wanted ${n}`))
      return new Promise((resolve, reject) => waiters.push({ n, resolve, reject }))
    },
  }
}

/** Lets the event loop turn `n` times (no wall-clock sleeps). */
export async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r))
}

function randomChunks(seed: string, total: number, maxChunk: number): Uint8Array[] {
  const rng = new SeededRng(seed)
  const out: Uint8Array[] = []
  let left = total
  while (left > 0) {
    const n = Math.min(left, 1 + rng.nextInt(maxChunk))
    out.push(rng.fill(new Uint8Array(n)))
    left -= n
  }
  return out
}

function joined(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let off = 0
  for (const c of chunks) { out.set(c, off); off += c.length }
  return out
}

export function runCarrierConformance(
  name: string,
  makeCarrier: () => Promise<CarrierFixture>,
): void {
  describe(`carrier conformance: ${name}`, () => {
    const fixtures: CarrierFixture[] = []
    afterEach(async () => {
      for (const f of fixtures.splice(0)) await f.cleanup()
    })

    async function connected(): Promise<{ fixture: CarrierFixture; client: BytePipe; server: BytePipe; listenerAddr: string }> {
      const fixture = await makeCarrier()
      fixtures.push(fixture)
      let onServer!: (p: BytePipe) => void
      const serverPipe = new Promise<BytePipe>((r) => { onServer = r })
      const listener = await fixture.carrier.listen(fixture.listenAddr, (p) => onServer(p))
      const client = await fixture.carrier.dial(listener.addr)
      const server = await serverPipe
      return { fixture, client, server, listenerAddr: listener.addr }
    }

    it('listens on a fresh address and reports the bound address with its scheme', async () => {
      const fixture = await makeCarrier()
      fixtures.push(fixture)
      const listener = await fixture.carrier.listen(fixture.listenAddr, () => {})
      expect(listener.addr.startsWith(`${fixture.carrier.scheme}://`)).toBe(true)
      expect(listener.addr).not.toMatch(/:0$/)
      await listener.close()
    })

    it('delivers random-sized chunks in order and intact in both directions at once', async () => {
      const { client, server } = await connected()
      const up = randomChunks(`${name}-up`, 1_500_000, 70_000)
      const down = randomChunks(`${name}-down`, 1_200_000, 30_000)
      const atServer = collect(server)
      const atClient = collect(client)
      const send = async (pipe: BytePipe, chunks: Uint8Array[]): Promise<void> => { for (const c of chunks) await pipe.write(c) }
      await Promise.all([send(client, up), send(server, down)])
      await Promise.all([atServer.waitFor(1_500_000), atClient.waitFor(1_200_000)])
      expect(bytesEqual(atServer.concat(), joined(up))).toBe(true)
      expect(bytesEqual(atClient.concat(), joined(down))).toBe(true)
      expect(client.remoteAddr.length).toBeGreaterThan(0)
      expect(server.remoteAddr.length).toBeGreaterThan(0)
    })

    it('moves a 24 MB transfer without corruption', async () => {
      const { client, server } = await connected()
      const at = collect(server)
      const block = new SeededRng(`${name}-large`).fill(new Uint8Array(1024 * 1024))
      for (let i = 0; i < 24; i++) {
        // The carrier owns a written chunk (contract), so each write gets its own buffer.
        const chunk = block.slice()
        chunk[0] = i
        await client.write(chunk)
      }
      await at.waitFor(24 * 1024 * 1024)
      const all = at.concat()
      for (let i = 0; i < 24; i++) {
        expect(all[i * 1024 * 1024]).toBe(i)
        expect(bytesEqual(all.subarray(i * 1024 * 1024 + 1, (i + 1) * 1024 * 1024), block.subarray(1))).toBe(true)
      }
    })

    it('makes a writer wait while the reader is paused, then delivers everything after resume', async () => {
      const { client, server } = await connected()
      server.pause()
      const at = collect(server)
      const chunk = new Uint8Array(64 * 1024)
      let accepted = 0
      let blocked = false
      const written: Promise<void>[] = []
      while (accepted < 64 * 1024 * 1024) {
        const owned = chunk.slice()
        owned[0] = (accepted / chunk.length) & 0xff
        const w = client.write(owned)
        written.push(w)
        accepted += chunk.length
        const settled = await Promise.race([w.then(() => true), turns(50).then(() => false)])
        if (!settled) { blocked = true; break }
      }
      expect(blocked).toBe(true)
      expect(at.bytes()).toBe(0)
      server.resume()
      await Promise.all(written)
      await at.waitFor(accepted)
      const all = at.concat()
      expect(all.length).toBe(accepted)
      for (let i = 0; i < accepted / chunk.length; i++) expect(all[i * chunk.length]).toBe(i & 0xff)
    })

    it('closes gracefully: the peer reads everything written before close, then ends once, and writes reject', async () => {
      const { client, server } = await connected()
      const atServer = collect(server)
      const atClient = collect(client)
      const data = new SeededRng(`${name}-close`).fill(new Uint8Array(300_000))
      await client.write(data)
      client.close()
      client.close()
      expect(await atServer.ended).toBeUndefined()
      expect(bytesEqual(atServer.concat(), data)).toBe(true)
      await atClient.ended
      await expect(client.write(new Uint8Array(1))).rejects.toMatchObject({ name: 'ConnectionClosedError' })
      await expect(server.write(new Uint8Array(1))).rejects.toMatchObject({ name: 'ConnectionClosedError' })
      server.close()
      await turns(5)
      expect(atServer.endCount()).toBe(1)
      expect(atClient.endCount()).toBe(1)
    })

    it('rejects a write that waits on backpressure when the pipe closes underneath it', async () => {
      const { client, server } = await connected()
      server.pause()
      collect(server)
      collect(client)
      const chunk = new Uint8Array(256 * 1024)
      let pending: Promise<void> | undefined
      for (let i = 0; i < 512 && pending === undefined; i++) {
        const w = client.write(chunk)
        const settled = await Promise.race([w.then(() => true), turns(50).then(() => false)])
        if (!settled) pending = w
      }
      expect(pending).toBeDefined()
      client.close(new Error('test abort'))
      await expect(pending).rejects.toMatchObject({ name: 'ConnectionClosedError' })
    })

    it('ends the peer when one side closes with an error', async () => {
      const { client, server } = await connected()
      const atServer = collect(server)
      collect(client)
      server.close(new Error('reset by test'))
      await atClient(client)
      await expect(client.write(new Uint8Array(1))).rejects.toMatchObject({ name: 'ConnectionClosedError' })
      await atServer.ended
      await turns(5)
      expect(atServer.endCount()).toBe(1)
      async function atClient(pipe: BytePipe): Promise<void> {
        for (let i = 0; i < 10_000; i++) {
          try { await pipe.write(new Uint8Array(1)) } catch { return }
          await turns(1)
        }
        throw new Error('client pipe never noticed the reset')
      }
    })

    it('fails fast when dialling an address where nothing listens', async () => {
      const fixture = await makeCarrier()
      fixtures.push(fixture)
      const listener = await fixture.carrier.listen(fixture.listenAddr, () => {})
      const addr = listener.addr
      await listener.close()
      await expect(fixture.carrier.dial(addr)).rejects.toBeInstanceOf(Error)
    }, 10_000)

    it('rejects a dial with an already aborted signal with AbortError', async () => {
      const fixture = await makeCarrier()
      fixtures.push(fixture)
      const listener = await fixture.carrier.listen(fixture.listenAddr, (p) => p.close())
      await expect(fixture.carrier.dial(listener.addr, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' })
    })

    it('closes every tracked pipe when the carrier closes', async () => {
      const { fixture, client, server } = await connected()
      const atServer = collect(server)
      const atClient = collect(client)
      await fixture.carrier.close()
      await fixture.carrier.close()
      await Promise.all([atServer.ended, atClient.ended])
      await expect(client.write(new Uint8Array(1))).rejects.toMatchObject({ name: 'ConnectionClosedError' })
    })
  })
}
