/**
 * Decode bombs against every wire and file decoder: at each decoder's size cap, the input that makes
 * cbor-x allocate the most (as many empty maps as the structural walk lets through, the rest one byte
 * string) may cost at most 4x the cap in transient heap beyond the fixed cost of a call, or 16 KiB for
 * decoders of small items (a 256-byte header only ever arrives inside a capped pubsub message, so
 * what matters there is an absolute ceiling). Measured in a child process whose young generation is
 * large enough that no collection hides allocation, and whose collector sweeps before `gc()`
 * returns: a concurrent sweeper finishing during a measured call lowers the heap by whatever it freed
 * (a delta of -330 KB was seen).
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

/** Absolute ceiling for decoders whose cap is a few hundred bytes. */
const SMALL_DECODER_CEILING = 16 * 1024
const run = promisify(execFile)

interface BombResult { name: string; cap: number; maps: number; nextRefused: boolean; inputBytes: number; allocated: number; fixed: number }

describe('decode bombs', () => {
  it('cost every decoder at most 4x its size cap, and the structural walk refuses one more item', async () => {
    const script = fileURLToPath(new URL('./fixtures/decode-bombs.mjs', import.meta.url))
    // Asynchronous: the child takes 5-10 s on a busy machine, and this worker's event loop must keep turning.
    const { stdout } = await run(process.execPath, ['--expose-gc', '--single-threaded-gc', '--min-semi-space-size=64', '--max-semi-space-size=64', script], { encoding: 'utf8' })
    const results = JSON.parse(stdout) as BombResult[]
    expect(results.map((r) => r.name)).toEqual(['membership message', 'pubsub message', 'message header', 'signed envelope', 'peer cache file'])
    for (const r of results) {
      const ratio = (r.allocated - r.fixed) / r.cap
      console.log(`${r.name}: ${r.maps} empty maps pass the walk; ${r.allocated - r.fixed} bytes beyond a call's ${r.fixed} for a ${r.inputBytes}-byte input (${ratio.toFixed(2)}x the cap)`)
      expect(r.nextRefused, r.name).toBe(true)
      expect(r.allocated - r.fixed, r.name).toBeLessThanOrEqual(Math.max(4 * r.cap, SMALL_DECODER_CEILING))
    }
  })
})
