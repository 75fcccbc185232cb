/**
 * Crash test: a child process commits, applies and saves in a loop and is killed with SIGKILL after
 * a varied number of saves; the state file must always hold the last acknowledged epoch or the one
 * in flight, and the restored group must still work. The child runs the built package (dist/), so
 * build before testing. KILL_RUNS changes the number of kills (default 100).
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { toHex } from '@saorsa-gossip/types'
import { createKeyPackage, openKeyPackage } from '../src/key-package.ts'
import { GroupSession } from '../src/session.ts'
import { createGroupStore } from '../src/store.ts'
import { SAORSA_SUITE_ID } from '../src/suite.ts'
import { identity, NOW, suiteFor } from './helpers.ts'
import { OPTIONS } from './session-harness.ts'

const RUNS = Number(process.env['KILL_RUNS'] ?? 100)
const CHILD = fileURLToPath(new URL('./fixtures/commit-loop.mjs', import.meta.url))

function runAndKill(dir: string, groupHex: string, saves: number): Promise<{ start: number; lastAcked: number }> {
  const child = spawn(process.execPath, [CHILD, dir, groupHex], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  return new Promise((resolve, reject) => {
    let buffered = ''
    let start = -1
    let lastAcked = -1
    let count = 0
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      const lines = buffered.split('\n')
      buffered = lines.pop()!
      for (const line of lines) {
        const ready = /^ready (\d+)$/.exec(line)
        if (ready !== null) start = Number(ready[1])
        const saved = /^saved (\d+)$/.exec(line)
        if (saved === null) continue
        lastAcked = Number(saved[1])
        if (++count === saves) child.kill('SIGKILL')
      }
    })
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ start, lastAcked })
      else reject(new Error(`child exited with ${code}: ${stderr}`))
    })
  })
}

describe('group state saved during commits and killed with SIGKILL', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'saorsa-groups-kill-')) })
  afterEach(async () => rm(dir, { recursive: true, force: true }))

  it(`always restores the last acknowledged or the in-flight epoch, usable, after ${RUNS} kills`, async () => {
    const suite = await suiteFor('saorsa')
    const me = identity(1)
    const store = createGroupStore({ directory: dir, identity: me })
    // Two independent groups killed in parallel lanes: each child is mostly start-up, so two cores halve the wall time.
    const lane = async (laneIndex: number, runs: number): Promise<void> => {
      const session = await GroupSession.create(me, suite, OPTIONS, NOW, new Uint8Array(32).fill(0x6b + laneIndex))
      const friends = await Promise.all([2, 3].map((n) => createKeyPackage(identity(n + 2 * laneIndex), suite, NOW)))
      const add = await Promise.all(friends.map(async (f) => (await openKeyPackage(f.bytes, suite, NOW)).keyPackage))
      for (const o of await session.propose({ add }, NOW)) if (o.type === 'schedule') await session.timer(o.timer, NOW)
      await store.save(SAORSA_SUITE_ID, session.snapshot())
      let epoch = session.group.epoch
      for (let run = 0; run < runs; run++) {
        // Kill after 1 to 3 acknowledged saves, so the kill lands at a different point of a commit each time.
        const { start, lastAcked } = await runAndKill(dir, toHex(session.groupId), 1 + (run % 3))
        expect(start).toBe(epoch)
        const restored = GroupSession.restore(me, suite, OPTIONS, (await store.load(session.groupId)).snapshot)
        expect([lastAcked, lastAcked + 1]).toContain(restored.group.epoch)
        expect(restored.group.members()).toHaveLength(3)
        epoch = restored.group.epoch
      }
      const last = GroupSession.restore(me, suite, OPTIONS, (await store.load(session.groupId)).snapshot)
      await expect(last.group.prepareCommit()).resolves.toMatchObject({ epoch })
    }
    await Promise.all([lane(0, Math.ceil(RUNS / 2)), lane(1, Math.floor(RUNS / 2))])
    const files = (await readdir(dir)).filter((n) => !n.endsWith('.tmp')).sort()
    expect(files).toEqual([`${'6b'.repeat(32)}.group`, `${'6c'.repeat(32)}.group`])
  }, 240_000)
})
