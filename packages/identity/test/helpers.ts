/** Shared test helpers: deterministic byte sequences, seeded random messages, temp directories. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SeededRng } from '@saorsa-gossip/types'

/** `start, start+1, ...` (mod 256), `n` bytes. */
export function seq(n: number, start = 0): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff)
}

/** `n` bytes from a seeded generator. */
export function seededBytes(n: number, seed: string): Uint8Array {
  return new SeededRng(seed).fill(new Uint8Array(n))
}

/** A fresh empty directory under the OS temp dir, and a function that removes it. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'saorsa-identity-'))
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

/** Runs `fn` and returns what it threw (fails the test if it did not throw). */
export async function caught(fn: () => unknown): Promise<unknown> {
  try {
    await fn()
  } catch (err) {
    return err
  }
  throw new Error('expected the call to throw')
}
