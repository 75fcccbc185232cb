/**
 * 100 kill -9 of a child process writing to a replica's log file: after every kill the replica
 * loads, holds every element whose write was acknowledged, and holds no element never written.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { PeerId, SeededRng } from '@saorsa-gossip/types'
import { CRDT_LOCAL } from '../src/config.ts'
import { SetDoc } from '../src/docs/crdt-docs.ts'
import { StoredReplica } from '../src/store/replica-store.ts'

const KILLS = Number(process.env['KILLS'] ?? 100)
const dir = mkdtempSync(join(tmpdir(), 'crdt-kill-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Runs the child until it has acknowledged `acks` more writes (0: kill as soon as it is ready), then SIGKILLs it. */
function runAndKill(path: string, seed: number, acks: number): Promise<{ lastAck: number; ready: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [new URL('./fixtures/kill-child.mjs', import.meta.url).pathname, path, String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] })
    let ready = -1
    let lastAck = -1
    let seen = 0
    let buffered = ''
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString()
      const lines = buffered.split('\n')
      buffered = lines.pop()!
      for (const line of lines) {
        const [word, num] = line.split(' ')
        if (word === 'ready') ready = Number(num)
        if (word === 'ack') { lastAck = Number(num); seen++ }
      }
      if (ready >= 0 && seen >= acks) child.kill('SIGKILL')
    })
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited with ${code}: ${stderr}`))
      else resolve({ lastAck: Math.max(lastAck, ready), ready })
    })
  })
}

/** One lane: kills the writer of one file `kills` times, checking the replica after each kill. */
async function lane(path: string, kills: number, seed: string): Promise<number> {
  const rng = new SeededRng(seed)
  const self = PeerId.fromPublicKey(new Uint8Array(32).fill(7))
  let acknowledged = 0
  for (let k = 0; k < kills; k++) {
    const { lastAck, ready } = await runAndKill(path, k, rng.nextInt(4) === 0 ? 0 : 1 + rng.nextInt(20))
    expect(ready).toBeGreaterThanOrEqual(acknowledged)
    acknowledged = Math.max(acknowledged, lastAck)
    const stored = await StoredReplica.open({ path, self, doc: new SetDoc(self.toHex()), config: CRDT_LOCAL, rng: new SeededRng(1), now: () => 0 })
    const values = new Set(stored.replica.doc.values())
    for (let i = 1; i <= acknowledged; i++) expect(values.has(`e${i}`), `e${i} after kill ${k} of ${path}`).toBe(true)
    // Nothing beyond the last batch the child could have started (at most 3 past its last ack).
    expect(values.size).toBeLessThanOrEqual(acknowledged + 3)
    await stored.close()
  }
  return acknowledged
}

describe('replica log file under kill -9', () => {
  it(`loses no acknowledged write and always reloads, over ${KILLS} kills`, async () => {
    // Two files killed in parallel lanes: the machine's two cores each start a child at a time.
    const acks = await Promise.all([lane(join(dir, 'a.crdt'), Math.ceil(KILLS / 2), 'kill-a'), lane(join(dir, 'b.crdt'), Math.floor(KILLS / 2), 'kill-b')])
    expect(acks[0]! + acks[1]!).toBeGreaterThan(KILLS)
  }, 180_000)
})
