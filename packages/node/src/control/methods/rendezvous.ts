/**
 * Control methods of the rendezvous layer (SPEC.md section 11.7): provide and withdraw a target,
 * seek its providers (streamed, best first within each batch), list what this node provides and
 * show the service's counters. Targets are names or 64 hex digits, as `parseTarget` reads them.
 */
import { CAPABILITIES, parseTarget, shardOf, SUMMARY_LIMITS, type Capability, type ProviderSummary } from '@saorsa-gossip/rendezvous'
import { keyPackageRendezvousName } from '@saorsa-gossip/groups/wire'
import { fromHex, toHex } from '@saorsa-gossip/types'
import { keyPackageTarget } from '../../groups-rendezvous.ts'
import type { SaorsaNode } from '../../node.ts'
import { BadRequestError } from '../protocol.ts'
import { boolParam, exactKeys, intParam, stringListParam, stringParam } from './params.ts'
import type { ControlMethodsFactory, MethodParams } from './types.ts'

/** The longest target name: `parseTarget` refuses longer ones. */
const MAX_TARGET_CHARS = 1_024
/** Lifetimes a summary may ask for: 1 s to the 72 h the validator accepts. */
const MAX_LIFETIME_MS = 72 * 3_600_000
/** Results a seek through the socket yields by default: a person reads a screenful; scripts pass `limit`. */
const DEFAULT_SEEK_LIMIT = 20

/** The JSON form of a provider summary on the socket. */
export interface ProviderJson {
  readonly target: string
  readonly provider: string
  readonly capabilities: readonly Capability[]
  readonly addressHints: readonly string[]
  readonly contentRoot?: string
  readonly manifestVersion?: number
  readonly issuedAtMs: number
  readonly expiresAtMs: number
  readonly seq: number
  /** With `connect`: the hint the node dialled and reached as `provider`, and the round trip; or why none was. */
  readonly reached?: { readonly addr: string; readonly rttMs: number } | { readonly error: string }
}

export function providerJson(s: ProviderSummary): ProviderJson {
  return {
    target: toHex(s.target), provider: s.provider.toHex(), capabilities: [...s.capabilities], addressHints: [...s.addressHints],
    ...(s.contentRoot === undefined ? {} : { contentRoot: toHex(s.contentRoot) }),
    ...(s.manifestVersion === undefined ? {} : { manifestVersion: s.manifestVersion }),
    issuedAtMs: s.issuedAtMs, expiresAtMs: s.expiresAtMs, seq: s.seq,
  }
}

/** Dials a provider's hinted addresses in order until one answers as the provider (the handshake proves it). */
async function reach(node: SaorsaNode, provider: ProviderSummary, signal: AbortSignal): Promise<NonNullable<ProviderJson['reached']>> {
  let last = 'the summary hints no address'
  for (const addr of provider.addressHints) {
    try {
      const { rttMs } = await node.connect(addr, { expectedPeer: provider.provider, signal })
      return { addr, rttMs: Math.round(rttMs * 10) / 10 }
    } catch (err) {
      if (signal.aborted) throw err
      last = `${addr}: ${(err as Error).message}`
    }
  }
  return { error: last }
}

function targetParam(p: Readonly<Record<string, unknown>>, id: number): string {
  const target = stringParam(p, 'target', id, 4 * MAX_TARGET_CHARS)!
  if (target.length > MAX_TARGET_CHARS) throw new BadRequestError(`params.target must be a name of 1..${MAX_TARGET_CHARS} characters or 64 hex digits`, id)
  return target
}

function capabilityParam(p: Readonly<Record<string, unknown>>, name: string, id: number): Capability[] | undefined {
  const caps = stringListParam(p, name, id, CAPABILITIES.length, 16)
  if (caps === undefined) return undefined
  if (caps.length === 0 || new Set(caps).size !== caps.length || caps.some((c) => !(CAPABILITIES as readonly string[]).includes(c))) {
    throw new BadRequestError(`params.${name} must be distinct values of ${CAPABILITIES.join(', ')}`, id)
  }
  return caps as Capability[]
}

/** Addresses a peer can dial: a wildcard bind address is not one. */
const dialable = (addr: string): boolean => !/\/\/(0\.0\.0\.0|\[::\])(:|\/|$)/.test(addr)

export const rendezvousMethods: ControlMethodsFactory = (node) => {
  // Names as the user gave them, so `providing` shows `site.example`, not only its hash.
  const names = new Map<string, string>()
  return {
    'rendezvous.provide': {
      parse(p, id): MethodParams {
        exactKeys(p, ['target', 'capabilities', 'addrs', 'lifetimeMs'], id)
        const addrs = stringListParam(p, 'addrs', id, SUMMARY_LIMITS.maxAddressHints, SUMMARY_LIMITS.maxHintChars)
        return {
          target: targetParam(p, id),
          capabilities: capabilityParam(p, 'capabilities', id) ?? ['SITE'],
          ...(addrs === undefined ? {} : { addrs }),
          ...(p.lifetimeMs === undefined ? {} : { lifetimeMs: intParam(p, 'lifetimeMs', id, 1_000, MAX_LIFETIME_MS) }),
        }
      },
      run(p) {
        const target = p.target as string
        // Without --addr, the addresses this node is bound to (announce addresses belong in --addr).
        const addressHints = (p.addrs as string[] | undefined) ?? node.listenAddrs().filter(dialable).slice(0, SUMMARY_LIMITS.maxAddressHints)
        const summary = node.rendezvous.provide(target, {
          capabilities: p.capabilities as Capability[], addressHints,
          ...(p.lifetimeMs === undefined ? {} : { lifetimeMs: p.lifetimeMs as number }),
        })
        const hex = toHex(summary.target)
        if (hex !== target.toLowerCase()) names.set(hex, target)
        return { ...providerJson(summary), shard: shardOf(summary.target) }
      },
    },
    'rendezvous.withdraw': {
      parse(p, id) {
        exactKeys(p, ['target'], id)
        return { target: targetParam(p, id) }
      },
      run(p) {
        const hex = toHex(parseTarget(p.target as string, 'target'))
        const provided = node.rendezvous.providing().includes(hex)
        if (provided) node.rendezvous.unprovide(hex)
        names.delete(hex)
        return { target: hex, withdrawn: provided }
      },
    },
    'rendezvous.seek': {
      parse(p, id) {
        exactKeys(p, ['target', 'capability', 'limit', 'follow', 'connect'], id)
        const capability = p.capability === undefined ? undefined : capabilityParam({ capability: [p.capability] }, 'capability', id)![0]
        return {
          target: targetParam(p, id),
          ...(capability === undefined ? {} : { capability }),
          limit: intParam(p, 'limit', id, 1, 1_000, true) ?? DEFAULT_SEEK_LIMIT,
          follow: boolParam(p, 'follow', id) ?? false,
          connect: boolParam(p, 'connect', id) ?? false,
        }
      },
      async *stream(p, signal) {
        let yielded = 0
        const options = { signal, follow: p.follow as boolean, ...(p.capability === undefined ? {} : { capability: p.capability as Capability }) }
        for await (const provider of node.rendezvous.seek(p.target as string, options)) {
          yield p.connect === true ? { ...providerJson(provider), reached: await reach(node, provider, signal) } : providerJson(provider)
          if (++yielded >= (p.limit as number)) return
        }
      },
      event: 'provider',
    },
    'rendezvous.providing': {
      parse(p, id) {
        exactKeys(p, [], id)
        return {}
      },
      run() {
        // The node's own key-package record (SPEC.md 10.3) is named too, so nobody mistakes it for a stranger's.
        const own = new Map([[toHex(keyPackageTarget(node.peerId)), keyPackageRendezvousName(node.peerId)], ...names])
        return node.rendezvous.providing().map((target) => ({ target, ...(own.has(target) ? { name: own.get(target) } : {}), shard: shardOf(fromHex(target)) }))
      },
    },
    'rendezvous.status': {
      parse(p, id) {
        exactKeys(p, [], id)
        return {}
      },
      run() {
        const r = node.rendezvous
        return { providing: r.providing().length, stored: r.core.store.size, drops: { ...r.core.drops }, driverDrops: { ...r.driverDrops }, reported: { ...r.reported } }
      },
    },
  }
}
