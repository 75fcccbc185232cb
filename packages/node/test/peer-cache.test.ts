import { describe, it, expect } from 'vitest'
import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, writeFile, readdir, rm, utimes } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DecodeError, PeerId, SeededRng, encodeCbor, fromHex, toHex } from '@saorsa-gossip/types'
import {
  MAX_PEER_CACHE_ENTRIES, PEER_CACHE_MAX_FAILURES, PeerCache, decodePeerCache, encodePeerCache,
} from '../src/config/peer-cache.ts'

const idOf = (n: number) => PeerId.fromBytes(Uint8Array.from({ length: 32 }, (_, i) => (i + n) & 0xff))
const GOLDEN = 'a261760165706565727381a46269645820000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f' +
  '65616464727381747463703a2f2f3132372e302e302e313a37303030646c617374fb4279b76daa800000646661696c00'

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'sg-peercache-'))
}

describe('peer cache file format', () => {
  it('encodes the golden vector of SPEC.md section 8 byte for byte', () => {
    const bytes = encodePeerCache([{ peerId: idOf(0), addrs: ['tcp://127.0.0.1:7000'], lastSuccessMs: 1767225600000, failures: 0 }])
    expect(toHex(bytes)).toBe(GOLDEN)
  })

  it('decodes the golden vector back to the same entry', () => {
    const [entry, ...rest] = decodePeerCache(fromHex(GOLDEN))
    expect(rest).toHaveLength(0)
    expect(entry?.peerId.equals(idOf(0))).toBe(true)
    expect(entry?.addrs).toEqual(['tcp://127.0.0.1:7000'])
    expect(entry?.lastSuccessMs).toBe(1767225600000)
    expect(entry?.failures).toBe(0)
  })

  it('rejects a file listing the same peer twice', () => {
    const e = { peerId: idOf(1), addrs: ['tcp://a:1'], lastSuccessMs: 5, failures: 0 }
    expect(() => decodePeerCache(encodePeerCache([e, e]))).toThrow(DecodeError)
  })

  it('rejects a file with more entries than the cap', () => {
    const peers = Array.from({ length: MAX_PEER_CACHE_ENTRIES + 1 }, (_, i) => ({ id: idOf(i).bytes, addrs: ['tcp://a:1'], last: 1, fail: 0 }))
    expect(() => decodePeerCache(encodeCbor({ v: 1, peers }))).toThrow(/array length 129/)
    expect(decodePeerCache(encodeCbor({ v: 1, peers: peers.slice(1) }))).toHaveLength(MAX_PEER_CACHE_ENTRIES)
  })

  it('rejects a file of another format version', () => {
    expect(() => decodePeerCache(encodeCbor({ v: 2, peers: [] }))).toThrow(DecodeError)
  })

  it('throws only DecodeError on 100k mutated and random inputs', () => {
    const runs = Number(process.env.FUZZ_RUNS ?? 100_000)
    const rng = new SeededRng(0x5eed)
    const seeds = [
      fromHex(GOLDEN),
      encodePeerCache(Array.from({ length: 5 }, (_, i) => ({ peerId: idOf(i), addrs: [`tcp://10.0.0.${i}:700${i}`, 'wt://h:1'], lastSuccessMs: i * 1000, failures: i }))),
    ]
    const interesting = [0x00, 0xff, 0x7f, 0x80, 0x1f, 0x18, 0x19, 0x1a, 0x1b, 0x40, 0x58, 0x60, 0x78, 0x80, 0x98, 0xa0, 0xb8, 0xc0, 0xd8, 0xf4, 0xf5, 0xf6, 0xf7, 0xfa, 0xfb]
    let accepted = 0
    for (let run = 0; run < runs; run++) {
      let input: Uint8Array
      const mode = rng.nextInt(6)
      const seed = seeds[rng.nextInt(seeds.length)]!
      if (mode === 0) {
        input = new Uint8Array(rng.nextInt(64))
        rng.fill(input)
      } else {
        input = Uint8Array.from(seed)
        const edits = 1 + rng.nextInt(4)
        for (let k = 0; k < edits && input.length > 0; k++) {
          const at = rng.nextInt(input.length)
          switch (mode) {
            case 1: input[at]! ^= 1 << rng.nextInt(8); break
            case 2: input[at] = interesting[rng.nextInt(interesting.length)]!; break
            case 3: input = input.subarray(0, at); break
            case 4: {
              const other = seeds[rng.nextInt(seeds.length)]!
              const from = rng.nextInt(other.length)
              input = Uint8Array.from([...input.subarray(0, at), ...other.subarray(from, from + 1 + rng.nextInt(40))])
              break
            }
            default: input = Uint8Array.from([...input.subarray(0, at), rng.nextInt(256), ...input.subarray(at)])
          }
        }
      }
      try {
        decodePeerCache(input)
        accepted++
      } catch (err) {
        if (!(err instanceof DecodeError)) throw new Error(`non-DecodeError on input ${toHex(input)}: ${String(err)}`)
      }
    }
    expect(accepted).toBeLessThan(runs)
  })
})

describe('PeerCache', () => {
  it('ranks peers by fewest failures, then most recent success', async () => {
    const dir = await tempDir()
    const cache = await PeerCache.load(join(dir, 'peers.cbor'))
    cache.recordSuccess(idOf(1), ['tcp://a:1'], 1000)
    cache.recordSuccess(idOf(2), ['tcp://b:1'], 3000)
    cache.recordSuccess(idOf(3), ['tcp://c:1'], 2000)
    cache.recordFailure(idOf(2))
    expect(cache.candidates().map((e) => e.addrs[0])).toEqual(['tcp://c:1', 'tcp://a:1', 'tcp://b:1'])
    await rm(dir, { recursive: true })
  })

  it('survives a save and reload with the same ranking', async () => {
    const dir = await tempDir()
    const path = join(dir, 'peers.cbor')
    const cache = await PeerCache.load(path)
    cache.recordSuccess(idOf(1), ['tcp://a:1'], 1000)
    cache.recordSuccess(idOf(2), ['tcp://b:1', 'tcp://b:2'], 2000)
    await cache.save(2000)
    const again = await PeerCache.load(path)
    expect(again.candidates().map((e) => [e.peerId.toHex(), e.addrs])).toEqual([
      [idOf(2).toHex(), ['tcp://b:1', 'tcp://b:2']],
      [idOf(1).toHex(), ['tcp://a:1']],
    ])
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([])
    await rm(dir, { recursive: true })
  })

  it('forgets a peer after repeated failed dials', async () => {
    const dir = await tempDir()
    const cache = await PeerCache.load(join(dir, 'peers.cbor'))
    cache.recordSuccess(idOf(1), ['tcp://a:1'], 1000)
    for (let i = 0; i < PEER_CACHE_MAX_FAILURES; i++) cache.recordFailure(idOf(1))
    expect(cache.size).toBe(0)
    await rm(dir, { recursive: true })
  })

  it('drops entries older than seven days when saving', async () => {
    const dir = await tempDir()
    const cache = await PeerCache.load(join(dir, 'peers.cbor'))
    cache.recordSuccess(idOf(1), ['tcp://a:1'], 0)
    cache.recordSuccess(idOf(2), ['tcp://b:1'], 8 * 24 * 3600 * 1000)
    await cache.save(8 * 24 * 3600 * 1000)
    expect(cache.candidates().map((e) => e.peerId.toHex())).toEqual([idOf(2).toHex()])
    await rm(dir, { recursive: true })
  })

  it('reports a corrupt file, keeps it aside as evidence and starts empty instead of failing', async () => {
    const dir = await tempDir()
    const path = join(dir, 'peers.cbor')
    const corrupt = Uint8Array.from([0xa2, 0x61, 0x76, 0x02])
    await writeFile(path, corrupt)
    const problems: Array<{ kind: string; keptAs?: string }> = []
    const cache = await PeerCache.load(path, { onProblem: (p) => problems.push(p) })
    expect(cache.size).toBe(0)
    expect(problems).toMatchObject([{ kind: 'corrupt', keptAs: `${path}.corrupt` }])
    expect(new Uint8Array(await readFile(`${path}.corrupt`))).toEqual(corrupt)
    cache.recordSuccess(idOf(1), ['tcp://a:1'], 1)
    await cache.save(1)
    expect(decodePeerCache(new Uint8Array(await readFile(path))).map((e) => e.peerId.toHex())).toEqual([idOf(1).toHex()])
    await rm(dir, { recursive: true })
  })

  it('refuses a FIFO in place of the cache at once and removes stale temp files of interrupted writes', async () => {
    const dir = await tempDir()
    const path = join(dir, 'peers.cbor')
    execFileSync('mkfifo', [path])
    const stale = join(dir, '.peers.cbor.0123456789ab.tmp')
    await writeFile(stale, 'half-written')
    const old = new Date(Date.now() - 3_600_000)
    await utimes(stale, old, old)
    const problems: string[] = []
    const cache = await PeerCache.load(path, { onProblem: (p) => problems.push(p.kind) })
    expect(cache.size).toBe(0)
    expect(problems).toEqual(['refused'])
    expect((await readdir(dir)).sort()).toEqual(['peers.cbor'])
    await rm(dir, { recursive: true })
  })
})
