import { mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { PeerId, SeededRng } from '@saorsa-gossip/types'
import { CRDT_LOCAL } from '../src/config.ts'
import { SetDoc } from '../src/docs/crdt-docs.ts'
import { TextDoc } from '../src/docs/text-doc.ts'
import { LogFile, parseLog } from '../src/store/log-file.ts'
import { StoredReplica } from '../src/store/replica-store.ts'

const dir = mkdtempSync(join(tmpdir(), 'crdt-store-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const self = PeerId.fromPublicKey(new Uint8Array(32).fill(9))
const open = <D extends SetDoc | TextDoc>(path: string, doc: D, compactAtBytes?: number) =>
  StoredReplica.open({ path, self, doc, config: CRDT_LOCAL, rng: new SeededRng(1), now: () => 0, ...(compactAtBytes === undefined ? {} : { compactAtBytes }) })

async function persistAll<D extends SetDoc | TextDoc>(s: StoredReplica<D>): Promise<void> {
  const writes: Array<Promise<void>> = []
  for (const o of s.replica.drain()) if (o.type === 'emit') { const w = s.record(o.event); if (w !== undefined) writes.push(w) }
  await Promise.all(writes)
}

describe('replica store', () => {
  it('writes each change as one record the size of its delta, not of the document', async () => {
    const path = join(dir, 'incremental.crdt')
    const s = await open(path, new TextDoc())
    s.replica.doc.insert(0, 'x'.repeat(50_000))
    await persistAll(s)
    const before = s.log.size
    s.replica.doc.insert(10, 'y')
    await persistAll(s)
    expect(s.log.size - before).toBeLessThan(200)
    await s.close()
  })

  it('reloads the same document and version vector, across a compaction', async () => {
    const path = join(dir, 'reload.crdt')
    const s = await open(path, new SetDoc(self.toHex()), 2_000)
    for (let i = 0; i < 200; i++) {
      s.replica.doc.add(`item-${i}`)
      if (i % 3 === 0) s.replica.doc.remove(`item-${i - 1}`)
      await persistAll(s)
    }
    const vv = s.replica.core.versionVector()
    const values = s.replica.doc.values()
    expect(s.log.size).toBeLessThan(10_000)
    await s.close()
    const again = await open(path, new SetDoc(self.toHex()))
    expect(again.replica.doc.values()).toEqual(values)
    expect(again.replica.core.versionVector()).toEqual(vv)
    // New local deltas continue the sequence instead of reusing numbers.
    again.replica.doc.add('after')
    const pub = again.replica.drain().find((o) => o.type === 'publish')
    expect(pub?.type === 'publish' && pub.msg.bundle.cover[0]![2]).toBe(vv[0]![1] + 1)
    await again.close()
  })

  it('loads exactly the whole records of a file cut at any byte (a torn write)', async () => {
    const path = join(dir, 'torn.crdt')
    const s = await open(path, new SetDoc(self.toHex()))
    for (let i = 0; i < 5; i++) { s.replica.doc.add(`v${i}`); await persistAll(s) }
    await s.close()
    const full = new Uint8Array(readFileSync(path))
    const whole = parseLog(full).records.length
    expect(whole).toBe(5)
    let previous = 0
    for (let cut = 0; cut <= full.length; cut++) {
      const n = parseLog(full.subarray(0, cut)).records.length
      expect(n).toBeGreaterThanOrEqual(previous)
      previous = n
    }
    writeFileSync(path, full.subarray(0, full.length - 3))
    const reopened = await open(path, new SetDoc(self.toHex()))
    expect(reopened.truncatedBytes).toBe(full.length - 3 - (await sizeOfRecords(full, 4)))
    expect(reopened.replica.doc.values()).toEqual(['v0', 'v1', 'v2', 'v3'])
    await reopened.close()
  })

  it('stops at a corrupt record instead of loading garbage', async () => {
    const path = join(dir, 'corrupt.crdt')
    const s = await open(path, new SetDoc(self.toHex()))
    for (let i = 0; i < 3; i++) { s.replica.doc.add(`v${i}`); await persistAll(s) }
    await s.close()
    const bytes = new Uint8Array(readFileSync(path))
    bytes[bytes.length - 2]! ^= 0x40
    writeFileSync(path, bytes)
    appendFileSync(path, new Uint8Array([0, 0, 0, 5, 1, 2, 3, 4, 9]))
    const { log, loaded } = await LogFile.open(path)
    expect(loaded.records).toHaveLength(2)
    await log.close()
  })
})

async function sizeOfRecords(full: Uint8Array, n: number): Promise<number> {
  for (let cut = 0; cut <= full.length; cut++) if (parseLog(full.subarray(0, cut)).records.length === n) return cut
  return -1
}
