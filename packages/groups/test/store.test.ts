import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { toHex, utf8 } from '@saorsa-gossip/types'
import { openGroupState, createGroupStore, deriveStateKey } from '../src/store.ts'
import { GroupSession } from '../src/session.ts'
import { SAORSA_SUITE_ID } from '../src/suite.ts'
import { MlsGroup } from '../src/group.ts'
import { createKeyPackage, openKeyPackage } from '../src/key-package.ts'
import { identity, NOW, suiteFor } from './helpers.ts'
import { OPTIONS } from './session-harness.ts'

describe('the group store', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'saorsa-groups-')) })
  afterEach(async () => rm(dir, { recursive: true, force: true }))

  it('restores a group that keeps its epoch, exporter and topic keys across a restart', async () => {
    const suite = await suiteFor('saorsa')
    const me = identity(50)
    const session = await GroupSession.create(me, suite, OPTIONS, NOW)
    const message = session.seal(utf8('before restart'))
    const store = createGroupStore({ directory: dir, identity: me })
    await store.save(SAORSA_SUITE_ID, session.snapshot())
    expect(await store.list()).toEqual([session.groupId])
    const stored = await store.load(session.groupId)
    const restored = GroupSession.restore(me, suite, OPTIONS, stored.snapshot)
    expect(restored.group.epoch).toBe(session.group.epoch)
    expect(toHex(await restored.group.exportSecret('presence', 32))).toBe(toHex(await session.group.exportSecret('presence', 32)))
    expect(new TextDecoder().decode(restored.open(message as never, me.peerId, NOW))).toBe('before restart')
    expect(toHex(restored.epochId)).toBe(toHex(session.epochId))
  })

  it('rejects a file sealed under another identity, a flipped byte and a truncation with GroupStateCorruptError', async () => {
    const suite = await suiteFor('saorsa')
    const me = identity(51)
    const session = await GroupSession.create(me, suite, OPTIONS, NOW)
    await createGroupStore({ directory: dir, identity: me }).save(SAORSA_SUITE_ID, session.snapshot())
    await expect(createGroupStore({ directory: dir, identity: identity(52) }).load(session.groupId))
      .rejects.toMatchObject({ name: 'GroupStateCorruptError' })
    const [name] = await readdir(dir)
    const bytes = new Uint8Array(await readFile(join(dir, name!)))
    const key = deriveStateKey(me)
    for (const damaged of [bytes.subarray(0, bytes.length - 1), bytes.subarray(0, 10), Uint8Array.from(bytes, (b, i) => (i === 40 ? b ^ 1 : b))]) {
      expect(() => openGroupState(key, damaged)).toThrow(expect.objectContaining({ name: 'GroupStateCorruptError' }))
    }
    await writeFile(join(dir, name!), bytes.subarray(0, 100))
    await expect(createGroupStore({ directory: dir, identity: me }).load(session.groupId)).rejects.toMatchObject({ name: 'GroupStateCorruptError' })
    await expect(createGroupStore({ directory: dir, identity: me }).load(new Uint8Array(32))).rejects.toMatchObject({ name: 'UnknownGroupError' })
  })

  it('keeps key packages waiting for a Welcome across a restart, so the Welcome still opens', async () => {
    const suite = await suiteFor('saorsa')
    const me = identity(53)
    const bundle = await createKeyPackage(me, suite, NOW)
    const store = createGroupStore({ directory: dir, identity: me })
    expect(await store.loadKeyPackages()).toEqual([])
    await store.saveKeyPackages([bundle])
    const [restored] = await createGroupStore({ directory: dir, identity: me }).loadKeyPackages()
    const creator = await GroupSession.create(identity(54), suite, OPTIONS, NOW)
    const pending = await creator.group.prepareCommit({ add: [(await openKeyPackage(restored!.bytes, suite, NOW)).keyPackage] })
    creator.group.merge(pending)
    const joined = await MlsGroup.join(me, suite, restored!, pending.welcome!.welcome, pending.welcome!.ratchetTree)
    expect(joined.epoch).toBe(1)
    await expect(createGroupStore({ directory: dir, identity: identity(55) }).loadKeyPackages()).rejects.toMatchObject({ name: 'GroupStateCorruptError' })
  })
})
