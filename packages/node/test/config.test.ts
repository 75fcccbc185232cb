import { execFileSync } from 'node:child_process'
import { describe, it, expect } from 'vitest'
import { mkdtemp, readFile, rm, stat, writeFile, readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DecodeError, TopicId } from '@saorsa-gossip/types'
import { loadNodeConfig, parseNodeConfig, saveNodeConfig } from '../src/config/node-config.ts'
import { ensureHome, homeLayout, resolveHome } from '../src/config/paths.ts'
import { writeFileAtomic } from '../src/config/atomic-file.ts'
import { Subscription } from '../src/subscription.ts'
import { Subscription as PubSubSubscription } from '@saorsa-gossip/pubsub'

describe('home directory', () => {
  it('prefers the explicit option, then SAORSA_GOSSIP_HOME, then ~/.saorsa-gossip', () => {
    expect(resolveHome('/a', { SAORSA_GOSSIP_HOME: '/b' })).toBe('/a')
    expect(resolveHome(undefined, { SAORSA_GOSSIP_HOME: '/b' })).toBe('/b')
    expect(resolveHome(undefined, {})).toMatch(/\.saorsa-gossip$/)
  })

  it('is created private (mode 0700)', async () => {
    const base = await mkdtemp(join(tmpdir(), 'sg-home-'))
    const layout = homeLayout(join(base, 'home'))
    await ensureHome(layout)
    expect((await stat(layout.home)).mode & 0o777).toBe(0o700)
    expect((await stat(layout.keystoreDir)).mode & 0o777).toBe(0o700)
    await rm(base, { recursive: true })
  })
})

describe('atomic file writes', () => {
  it('replace the file, leave no temp file behind and use mode 0600', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sg-atomic-'))
    const path = join(dir, 'f')
    await writeFileAtomic(path, 'one')
    await writeFileAtomic(path, 'two')
    expect(await readFile(path, 'utf8')).toBe('two')
    expect(await readdir(dir)).toEqual(['f'])
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    await rm(dir, { recursive: true })
  })
})

describe('config.json', () => {
  it('round-trips every field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sg-config-'))
    const path = join(dir, 'config.json')
    const config = { identity: 'laptop', listen: ['tcp://0.0.0.0:7000'], announce: ['tcp://198.51.100.4:7000'], bootstrap: ['tcp://203.0.113.7:7000'], preset: 'wan' as const, logLevel: 'info' as const, verifier: 'pool' as const }
    await saveNodeConfig(path, config)
    expect(await loadNodeConfig(path)).toEqual(config)
    await rm(dir, { recursive: true })
  })

  it('is empty when the file is absent', async () => {
    expect(await loadNodeConfig(join(tmpdir(), 'sg-no-such-dir', 'config.json'))).toEqual({})
  })

  it('rejects unknown keys, bad values and malformed JSON with DecodeError naming the field', async () => {
    expect(() => parseNodeConfig({ bootstrapp: [] })).toThrow(/bootstrapp: unknown field/)
    expect(() => parseNodeConfig({ preset: 'fast' })).toThrow(/preset/)
    expect(() => parseNodeConfig({ verifier: 'gpu' })).toThrow(/verifier: expected one of inline, pool/)
    expect(() => parseNodeConfig({ listen: ['x'.repeat(300)] })).toThrow(/listen\[0\]/)
    expect(() => parseNodeConfig([])).toThrow(DecodeError)
    const dir = await mkdtemp(join(tmpdir(), 'sg-config-'))
    await writeFile(join(dir, 'config.json'), '{"identity": ')
    await expect(loadNodeConfig(join(dir, 'config.json'))).rejects.toThrow(/not valid JSON/)
    await rm(dir, { recursive: true })
  })
})

describe('Subscription', () => {
  const topicId = TopicId.fromName('t')
  const msg = (n: number) => ({ topic: topicId, seq: n }) as never
  const source = (capacity = 1_024, onUnsubscribe = () => {}) => new PubSubSubscription(topicId, capacity, onUnsubscribe)

  it('yields pushed messages in order with the topic name, and ends after unsubscribe', async () => {
    let released = 0
    const from = source(1_024, () => { released++ })
    const sub = new Subscription('t', from)
    from.push(msg(1))
    from.push(msg(2))
    const seen: number[] = []
    const reader = (async () => {
      for await (const m of sub) {
        expect(m.topic).toBe('t')
        seen.push(m.seq)
        if (seen.length === 3) sub.unsubscribe()
      }
    })()
    await Promise.resolve()
    from.push(msg(3))
    await reader
    expect(seen).toEqual([1, 2, 3])
    expect(released).toBe(1)
  })

  it('drops the oldest messages when the reader falls behind, and counts them', async () => {
    const from = source(2)
    const sub = new Subscription('t', from)
    for (let i = 1; i <= 5; i++) from.push(msg(i))
    sub.unsubscribe()
    const seen: number[] = []
    for await (const m of sub) seen.push(m.seq)
    expect(seen).toEqual([4, 5])
    expect(sub.dropped).toBe(3)
    expect(sub.closed).toBe(true)
  })

  it('refuses a FIFO in place of config.json with DecodeError instead of hanging', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sg-config-'))
    execFileSync('mkfifo', [join(dir, 'config.json')])
    await expect(loadNodeConfig(join(dir, 'config.json'))).rejects.toMatchObject({ name: 'DecodeError', message: expect.stringMatching(/not a regular file/) })
    await rm(dir, { recursive: true })
  })
})
