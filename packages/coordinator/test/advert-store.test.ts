import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mkdir, mkdtemp, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeCbor } from '@saorsa-gossip/types'
import { signAdvert, type AdvertFields } from '../src/advert.ts'
import { ADVERT_CACHE_FILE, loadAdvertCache, saveAdvertCache } from '../src/advert-store.ts'
import { AdvertCache } from '../src/proto/advert-cache.ts'
import { COORDINATOR_LAN } from '../src/proto/config.ts'
import { HOUR, identity, T0 } from './helpers.ts'

const BASE: AdvertFields = { roles: ['coordinator'], addresses: ['tcp://10.0.0.1:7000'], nat: 'eim', notBeforeMs: T0, notAfterMs: T0 + HOUR, sequence: 1 }
const OPTIONS = { capacity: 1000, wallMs: T0 + 60_000, policy: COORDINATOR_LAN.advert }

describe('advert cache file', () => {
  let dir: string
  let path: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coord-cache-'))
    path = join(dir, ADVERT_CACHE_FILE)
  })
  afterEach(async () => rm(dir, { recursive: true, force: true }))

  it('restores adverts and dial history after a restart', async () => {
    const cache = new AdvertCache({ capacity: 1000 })
    cache.insert(signAdvert(identity(1), BASE), T0)
    cache.insert(signAdvert(identity(2), { ...BASE, notAfterMs: T0 + 10_000 }), T0)
    cache.recordDial(identity(1).peerId, true)
    await saveAdvertCache(path, cache)
    const { cache: loaded, report } = await loadAdvertCache(path, OPTIONS)
    expect(report).toEqual({ loaded: 1, dropped: { expired: 1 }, staleTempsRemoved: 0 })
    expect(loaded.get(identity(1).peerId)).toMatchObject({ dialSuccesses: 1, acceptedAtMs: T0 })
    expect(await readdir(dir)).toEqual([ADVERT_CACHE_FILE])
  })

  it('starts empty without a file', async () => {
    const { cache, report } = await loadAdvertCache(path, OPTIONS)
    expect(cache.size).toBe(0)
    expect(report.corrupt).toBeUndefined()
  })

  it('reports a corrupt file and starts empty; the next save replaces it', async () => {
    await writeFile(path, new Uint8Array([0xa1, 0x61, 0x76]))
    const { cache, report } = await loadAdvertCache(path, OPTIONS)
    expect(cache.size).toBe(0)
    expect(report.corrupt).toMatch(/CBOR|input/)
    cache.insert(signAdvert(identity(1), BASE), T0)
    await saveAdvertCache(path, cache)
    expect((await loadAdvertCache(path, OPTIONS)).cache.size).toBe(1)
  })

  it('drops a tampered advert but keeps the rest', async () => {
    const good = signAdvert(identity(1), BASE).bytes
    const bad = signAdvert(identity(2), BASE).bytes.slice()
    bad[bad.length - 5]! ^= 0xff
    await writeFile(path, encodeCbor({ v: 1, adverts: [{ e: good, t: T0, s: 0, f: 0 }, { e: bad, t: T0, s: 0, f: 0 }] }))
    const { cache, report } = await loadAdvertCache(path, OPTIONS)
    expect(cache.size).toBe(1)
    expect(report.dropped).toEqual({ 'bad-signature': 1 })
  })

  it('refuses a path that is a directory or a symlink', async () => {
    await mkdir(path)
    await expect(loadAdvertCache(path, OPTIONS)).rejects.toMatchObject({ name: 'CacheFileError' })
    await expect(saveAdvertCache(path, new AdvertCache({ capacity: 1 }))).rejects.toMatchObject({ name: 'CacheFileError' })
    await rm(path, { recursive: true })
    await writeFile(join(dir, 'elsewhere'), 'x')
    await symlink(join(dir, 'elsewhere'), path)
    await expect(loadAdvertCache(path, OPTIONS)).rejects.toMatchObject({ name: 'CacheFileError' })
    await expect(saveAdvertCache(path, new AdvertCache({ capacity: 1 }))).rejects.toMatchObject({ name: 'CacheFileError' })
  })

  it('removes temp files left by a crashed writer, but not a live one', async () => {
    const stale = join(dir, `.${ADVERT_CACHE_FILE}.0123456789ab.tmp`)
    const live = join(dir, `.${ADVERT_CACHE_FILE}.fedcba987654.tmp`)
    await writeFile(stale, 'x')
    await writeFile(live, 'x')
    await utimes(stale, new Date(T0 - 120_000), new Date(T0 - 120_000))
    await utimes(live, new Date(T0 + 30_000), new Date(T0 + 30_000))
    const { report } = await loadAdvertCache(path, OPTIONS)
    expect(report.staleTempsRemoved).toBe(1)
    expect((await readdir(dir)).sort()).toEqual([`.${ADVERT_CACHE_FILE}.fedcba987654.tmp`])
  })
})
