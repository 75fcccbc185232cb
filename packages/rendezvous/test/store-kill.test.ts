/**
 * Crash test of the store file (docs/architecture.md section 8): a child process rewrites it in a
 * loop and is killed with SIGKILL at varied moments; the file must always open to the generation
 * last acknowledged or the one in flight, complete. The child runs the built package (dist/), so
 * build before testing. KILL_RUNS raises the number of kills.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, utimesSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { readStoreFile } from '../src/persist.ts'

const RUNS = Number(process.env['KILL_RUNS'] ?? 20)
const CHILD = fileURLToPath(new URL('./fixtures/store-write-loop.mjs', import.meta.url))

function runAndKill(path: string, writes: number): Promise<number> {
  const child = spawn(process.execPath, [CHILD, path], { stdio: ['ignore', 'pipe', 'pipe'] })
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
      if (signal === 'SIGKILL') resolve(lastAcked)
      else reject(new Error(`child exited with ${code}: ${stderr}`))
    })
  })
}

describe('store file writes killed with SIGKILL', () => {
  const dirs: string[] = []
  afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }) })

  it(`always open to a complete generation after ${RUNS} kills at varied moments`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rv-kill-'))
    dirs.push(dir)
    const path = join(dir, 'rendezvous.cbor')
    for (let run = 0; run < RUNS; run++) {
      // Each run starts over at generation 1, so the file's generation tells which write survived.
      const lastAcked = await runAndKill(path, 1 + (run % 9))
      const entries = await readStoreFile(path, 4096)
      const generation = entries[0]![0]!
      expect([lastAcked % 256, (lastAcked + 1) % 256]).toContain(generation)
      expect(entries).toHaveLength(1 + (generation % 64))
      for (const entry of entries) expect(entry.every((b) => b === generation)).toBe(true)
    }
    // Temp files of killed writers are removed at the next open once they are stale.
    const old = new Date(Date.now() - 120_000)
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.tmp'))) utimesSync(join(dir, name), old, old)
    await readStoreFile(path, 4096)
    expect(readdirSync(dir)).toEqual(['rendezvous.cbor'])
  })
})
