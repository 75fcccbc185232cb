/**
 * Crash test: a child process overwrites one alias in a loop and is killed with SIGKILL at varied
 * moments; the file must always hold the old or the new complete key. The child runs the built
 * package (dist/), so build before testing. KILL_RUNS raises the number of kills.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { readdir, utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Identity } from '../src/identity.ts'
import { INSECURE_TEST_KDF } from '../src/keystore-crypto.ts'
import { createKeystore, STALE_TEMP_MS } from '../src/keystore.ts'
import { tempDir } from './helpers.ts'

const RUNS = Number(process.env['KILL_RUNS'] ?? 30)
const CHILD = fileURLToPath(new URL('./fixtures/overwrite-loop.mjs', import.meta.url))

/** Starts the child and SIGKILLs it as soon as it has reported `writes` completed writes; resolves with the last one. */
function runAndKill(dir: string, writes: number): Promise<{ lastAcked: number; child: ChildProcess }> {
  const child = spawn(process.execPath, [CHILD, dir], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  return new Promise((resolve, reject) => {
    let buffered = ''
    let lastAcked = 0
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      const lines = buffered.split('\n')
      buffered = lines.pop()!
      for (const line of lines) {
        const match = /^wrote (\d+)$/.exec(line)
        if (match === null) continue
        lastAcked = Number(match[1])
        if (lastAcked === writes) child.kill('SIGKILL')
      }
    })
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ lastAcked, child })
      else reject(new Error(`child exited with ${code}: ${stderr}`))
    })
  })
}

describe('keystore writes killed with SIGKILL', () => {
  let dir: string
  let cleanup: () => Promise<void>
  beforeEach(async () => ({ dir, cleanup } = await tempDir()))
  afterEach(async () => cleanup())

  it(`always leave the old or the new complete key after ${RUNS} kills at varied moments`, async () => {
    const keys = [0, 1].map((k) => Identity.generate({ seed: new Uint8Array(32).fill(k + 1) }))
    const keystore = createKeystore({ directory: dir, passphrase: 'kill test', kdf: INSECURE_TEST_KDF, env: {} })
    for (let run = 0; run < RUNS; run++) {
      // Kill after 1 to 7 acknowledged writes, so the kill lands at a different point of a write each time.
      const { lastAcked } = await runAndKill(dir, 1 + (run % 7))
      const listing = await keystore.list()
      expect(listing.map((e) => [e.alias, e.ok])).toEqual([['victim', true]])
      const info = await keystore.show('victim')
      // An acknowledged write is never lost; the write in flight is either complete or absent.
      expect([lastAcked, lastAcked + 1]).toContain(info.createdAtMs)
      const loaded = await keystore.loadIdentity('victim')
      expect(loaded.peerId.equals(keys[info.createdAtMs % 2]!.peerId)).toBe(true)
    }
    // Temp files of killed writers are ignored by list(); the next write removes the stale ones.
    const names = await readdir(dir)
    const old = new Date(Date.now() - STALE_TEMP_MS - 1_000)
    for (const name of names.filter((n) => n.endsWith('.tmp'))) await utimes(join(dir, name), old, old)
    await keystore.save('victim', keys[0]!, { force: true })
    expect(await readdir(dir)).toEqual(['victim.key'])
  })
})
