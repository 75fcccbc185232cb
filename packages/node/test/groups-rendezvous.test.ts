/**
 * Key packages through rendezvous (SPEC.md 10.3): the record's name and target (vector in SPEC.md),
 * the lookup that runs when a request finds no route (only the peer's own record is dialled, the
 * request is retried once, a miss stays a NoRouteError), and when the record is provided again.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { keyPackageRendezvousName } from '@saorsa-gossip/groups/wire'
import type { ProviderSummary } from '@saorsa-gossip/rendezvous'
import { NoRouteError } from '@saorsa-gossip/transport'
import { AbortError, PeerId, toHex } from '@saorsa-gossip/types'
import { hints, keyPackageTarget, provideKeyPackageRecord, rendezvousRoute } from '../src/groups-rendezvous.ts'

const spec = readFileSync(new URL('../../../SPEC.md', import.meta.url), 'utf8')
const invitee = PeerId.fromHex('177c577d91cf59f1008512a5960e280ffc1889d74e10966fa6d6b9d12fbecc3c')
const impostor = PeerId.fromPublicKey(new Uint8Array([9]))

const record = (provider: PeerId, addressHints: string[]): ProviderSummary => ({
  version: 1, target: keyPackageTarget(invitee), provider, publicKey: new Uint8Array(0), capabilities: ['KEYPACKAGE'], addressHints,
  issuedAtMs: 0, expiresAtMs: 1, seq: 0,
})

/** A rendezvous whose seek yields `records` (or throws `failure` after them), noting what was asked. */
function fakeRendezvous(records: ProviderSummary[], failure?: Error) {
  const asked: string[] = []
  return {
    asked,
    isStarted: true,
    async *seek(target: Uint8Array | string, options: { capability?: string; signal?: AbortSignal } = {}) {
      asked.push(`${toHex(target as Uint8Array)} ${options.capability}`)
      yield* records
      if (failure !== undefined) throw failure
    },
  }
}

describe('the key-package record name', () => {
  it('is saorsa-gossip/key-package/v1/<PeerId hex>, hashed as a rendezvous name (vector in SPEC.md 10.3)', () => {
    const name = keyPackageRendezvousName(invitee)
    expect(name).toBe(`saorsa-gossip/key-package/v1/${invitee.toHex()}`)
    const target = toHex(keyPackageTarget(invitee))
    expect(target).toBe('d6f585e706937c3bdfb3ae12090751a9ebdbfeeaaa383e0c629d4e390d181199')
    expect(spec).toContain(`- key-package record target: \`${target}\``)
    expect(spec).toContain('shard `0xa0f5`, topic `saorsa/rendezvous/a0f5`')
  })
})

describe('reaching a peer through its key-package record', () => {
  it('leaves a request that finds its route alone', async () => {
    const rendezvous = fakeRendezvous([])
    const route = rendezvousRoute({ rendezvous, reach: async () => { throw new Error('not called') } })
    expect(await route.via(invitee, undefined, async () => 'answer')).toBe('answer')
    expect(rendezvous.asked).toEqual([])
  })

  it('on NoRouteError seeks the record, dials only the peer\'s own record, and retries once', async () => {
    const rendezvous = fakeRendezvous([record(impostor, ['tcp://10.0.0.66:1']), record(invitee, []), record(invitee, ['tcp://10.0.0.2:2', 'tcp://10.0.0.3:3'])])
    const dialled: string[] = []
    const route = rendezvousRoute({
      rendezvous,
      reach: async (peer, addrs) => { dialled.push(`${peer.toHex() === invitee.toHex()} ${addrs.join(',')}`) },
    })
    let calls = 0
    const answer = await route.via(invitee, undefined, async () => {
      if (calls++ === 0) throw new NoRouteError('no connection to the invitee and no known address')
      return 'key package'
    })
    expect(answer).toBe('key package')
    expect(calls).toBe(2)
    expect(rendezvous.asked).toEqual([`${toHex(keyPackageTarget(invitee))} KEYPACKAGE`])
    expect(dialled).toEqual(['true tcp://10.0.0.2:2,tcp://10.0.0.3:3'])
    expect(route.counters).toEqual({ lookups: 1, found: 1, impostors: 1 })
  })

  it('tries the next record when an address does not answer', async () => {
    const rendezvous = fakeRendezvous([record(invitee, ['tcp://10.0.0.9:9']), record(invitee, ['tcp://10.0.0.2:2'])])
    const route = rendezvousRoute({
      rendezvous,
      reach: async (_peer, addrs) => { if (addrs[0] === 'tcp://10.0.0.9:9') throw new NoRouteError('refused') },
    })
    let calls = 0
    await route.via(invitee, undefined, async () => { if (calls++ === 0) throw new NoRouteError('no route'); return 1 })
    expect(route.counters).toMatchObject({ lookups: 1, found: 1 })
  })

  it('stays a NoRouteError naming rendezvous when no record leads to the peer, also when the lookup times out', async () => {
    for (const rendezvous of [fakeRendezvous([record(impostor, ['tcp://10.0.0.66:1'])]), fakeRendezvous([], new AbortError())]) {
      const route = rendezvousRoute({ rendezvous, reach: async () => { throw new Error('impostor dialled') } })
      const failed = route.via(invitee, undefined, async () => { throw new NoRouteError('no connection to 177c577d and no known address') })
      await expect(failed).rejects.toMatchObject({ name: 'NoRouteError', message: /no known address, and no key-package record of it through rendezvous led to it/ })
      expect(route.counters.found).toBe(0)
    }
  })

  it('passes other errors through without a lookup, and the caller\'s abort through as it is', async () => {
    const rendezvous = fakeRendezvous([record(invitee, ['tcp://10.0.0.2:2'])])
    const route = rendezvousRoute({ rendezvous, reach: async () => {} })
    await expect(route.via(invitee, undefined, async () => { throw new TypeError('bad') })).rejects.toBeInstanceOf(TypeError)
    expect(rendezvous.asked).toEqual([])
    const caller = new AbortController()
    const aborting = fakeRendezvous([], new AbortError())
    const aborted = rendezvousRoute({ rendezvous: aborting, reach: async () => {} })
    caller.abort()
    await expect(aborted.via(invitee, caller.signal, async () => { throw new NoRouteError('no route') })).rejects.toBeInstanceOf(AbortError)
  })
})

describe('providing the key-package record', () => {
  it('hints only addresses a peer can dial, at most 8 of at most 128 characters', () => {
    const many = Array.from({ length: 10 }, (_, i) => `tcp://10.0.0.${i}:1`)
    expect(hints(['tcp://0.0.0.0:7000', 'tcp://[::]:7000', `tcp://${'a'.repeat(130)}:1`, 'tcp://127.0.0.1:7000'])).toEqual(['tcp://127.0.0.1:7000'])
    expect(hints(many)).toEqual(many.slice(0, 8))
  })

  it('provides at start with the current addresses, again on reaching the overlay after having no neighbour, and withdraws on stop', () => {
    const provided: string[] = []
    const withdrawn: string[] = []
    let addrs = ['tcp://127.0.0.1:1']
    const rendezvous = {
      isStarted: true,
      provide: (target: Uint8Array | string, options: { capabilities: readonly string[]; addressHints?: readonly string[] }) => {
        provided.push(`${toHex(target as Uint8Array).slice(0, 8)} ${options.capabilities.join()} ${options.addressHints!.join()}`)
        return record(invitee, [])
      },
      unprovide: (target: Uint8Array | string) => { withdrawn.push(toHex(target as Uint8Array).slice(0, 8)) },
    }
    const overlay = new EventTarget()
    const handle = provideKeyPackageRecord({ rendezvous, peer: invitee, addrs: () => addrs, overlay })
    expect(provided).toEqual(['d6f585e7 KEYPACKAGE tcp://127.0.0.1:1'])
    addrs = ['tcp://127.0.0.1:1', 'tcp://203.0.113.5:1']
    overlay.dispatchEvent(new Event('peer:up'))
    overlay.dispatchEvent(new Event('peer:up'))
    expect(provided).toHaveLength(2)
    expect(provided[1]).toBe('d6f585e7 KEYPACKAGE tcp://127.0.0.1:1,tcp://203.0.113.5:1')
    overlay.dispatchEvent(new Event('peer:down'))
    overlay.dispatchEvent(new Event('peer:down'))
    overlay.dispatchEvent(new Event('peer:up'))
    expect(provided).toHaveLength(3)
    handle.stop()
    overlay.dispatchEvent(new Event('peer:down'))
    overlay.dispatchEvent(new Event('peer:up'))
    expect(provided).toHaveLength(3)
    expect(withdrawn).toEqual(['d6f585e7'])
    expect(handle.counters).toEqual({ provided: 3, failed: 0 })
  })
})
