import { describe, expect, it } from 'vitest'
import { signAdvert, type AdvertFields, type SignedAdvert } from '../src/advert.ts'
import { AdvertCache } from '../src/proto/advert-cache.ts'
import { advertScore, DEFAULT_SCORE_WEIGHTS } from '../src/proto/score.ts'
import { HOUR, identity, T0 } from './helpers.ts'

const BASE: AdvertFields = { roles: ['coordinator'], addresses: ['tcp://10.0.0.1:7000'], nat: 'unknown', notBeforeMs: T0, notAfterMs: T0 + HOUR, sequence: 1 }

function advert(n: number, fields: Partial<AdvertFields> = {}): SignedAdvert {
  return signAdvert(identity(n), { ...BASE, ...fields })
}

describe('advert score', () => {
  const entry = { roles: ['coordinator'] as const, nat: 'unknown' as const, notBeforeMs: T0, dialSuccesses: 0, dialFailures: 0 }

  it('adds role and NAT weights, and is 0 for dial history when untried', () => {
    expect(advertScore(entry, T0)).toBe(4)
    expect(advertScore({ ...entry, roles: ['coordinator', 'relay', 'reflector', 'rendezvous'], nat: 'eim' }, T0)).toBe(10)
    expect(advertScore({ ...entry, nat: 'symmetric' }, T0)).toBe(1)
  })

  it('moves the dial term by Laplace succession between -4 and +4', () => {
    expect(advertScore({ ...entry, dialSuccesses: 1 }, T0)).toBeCloseTo(4 + 4 * (4 / 3 - 1))
    expect(advertScore({ ...entry, dialFailures: 1000 }, T0)).toBeCloseTo(4 - 4 + 8 / 1002)
    expect(advertScore({ ...entry, dialSuccesses: 1000 }, T0)).toBeLessThan(8)
  })

  it('loses a point per hour of age, at most 8', () => {
    expect(advertScore(entry, T0 + 3 * HOUR)).toBeCloseTo(1)
    expect(advertScore(entry, T0 + 20 * HOUR)).toBeCloseTo(4 - DEFAULT_SCORE_WEIGHTS.maxAgePenalty)
  })
})

describe('advert cache', () => {
  it('keeps one entry per publisher, replaced only by a higher sequence, dial history kept', () => {
    const cache = new AdvertCache({ capacity: 10 })
    expect(cache.insert(advert(1), T0)).toBe('added')
    cache.recordDial(identity(1).peerId, true)
    expect(cache.insert(advert(1), T0)).toBe('stale')
    expect(cache.insert(advert(1, { sequence: 2, nat: 'eim' }), T0)).toBe('replaced')
    const entry = cache.get(identity(1).peerId)!
    expect(entry.advert.nat).toBe('eim')
    expect(entry.dialSuccesses).toBe(1)
    expect(cache.size).toBe(1)
  })

  it('evicts expired adverts and refuses already expired ones', () => {
    const cache = new AdvertCache({ capacity: 10 })
    cache.insert(advert(1), T0)
    cache.insert(advert(2, { notAfterMs: T0 + 2 * HOUR }), T0)
    expect(cache.prune(T0 + HOUR + 1)).toBe(1)
    expect(cache.insert(advert(3), T0 + HOUR + 1)).toBe('expired')
    expect(cache.best(T0 + HOUR + 1).map((e) => e.advert.peerId)).toEqual([identity(2).peerId])
  })

  it('when full, lets a better advert push out the worst one, and refuses a worse one', () => {
    const cache = new AdvertCache({ capacity: 2 })
    cache.insert(advert(1, { nat: 'symmetric' }), T0)
    cache.insert(advert(2, { nat: 'eim' }), T0)
    expect(cache.insert(advert(3, { nat: 'symmetric' }), T0)).toBe('not-better')
    expect(cache.insert(advert(4, { nat: 'unknown' }), T0)).toBe('added')
    expect(cache.get(identity(1).peerId)).toBeUndefined()
    expect(cache.size).toBe(2)
  })

  it('ranks by score, filters by role, and demotes coordinators that fail to answer dials', () => {
    const cache = new AdvertCache({ capacity: 10 })
    cache.insert(advert(1, { roles: ['coordinator', 'relay'] }), T0)
    cache.insert(advert(2), T0)
    cache.insert(advert(3, { roles: ['rendezvous'] }), T0)
    expect(cache.best(T0).map((e) => e.advert.peerId)).toEqual([identity(1).peerId, identity(2).peerId, identity(3).peerId])
    expect(cache.best(T0, { role: 'coordinator', limit: 1 })[0]!.advert.peerId).toEqual(identity(1).peerId)
    for (let i = 0; i < 5; i++) cache.recordDial(identity(1).peerId, false)
    expect(cache.best(T0, { role: 'coordinator' }).map((e) => e.advert.peerId)).toEqual([identity(2).peerId, identity(1).peerId])
  })
})
