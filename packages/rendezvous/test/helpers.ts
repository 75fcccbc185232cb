import { Identity, nobleMlDsa65Deterministic, verifySignature } from '@saorsa-gossip/identity'
import type { PeerId } from '@saorsa-gossip/types'
import { SUMMARY_DOMAIN } from '../src/codec.ts'
import { DEFAULT_RENDEZVOUS_CONFIG, type RendezvousConfig } from '../src/proto/config.ts'
import { RendezvousCore } from '../src/proto/core.ts'
import type { RendezvousOutput } from '../src/proto/messages.ts'

export const T0 = 1_700_000_000_000

export function identity(n: number): Identity {
  return Identity.generate({ seed: new Uint8Array(32).fill(n), backend: nobleMlDsa65Deterministic })
}

export const verify = (pk: Uint8Array, domain: string, body: Uint8Array, sig: Uint8Array): boolean =>
  verifySignature(pk, domain, body, sig, nobleMlDsa65Deterministic)

export function core(id: Identity, config: Partial<RendezvousConfig> = {}): RendezvousCore {
  return new RendezvousCore({
    self: id.peerId, publicKey: id.publicKey, config: { ...DEFAULT_RENDEZVOUS_CONFIG, ...config },
    sign: (body) => id.sign(SUMMARY_DOMAIN, body), verify,
  })
}

export const events = (out: RendezvousOutput[]) => out.flatMap((o) => (o.type === 'emit' ? [o.event] : []))
export const sends = (out: RendezvousOutput[], to?: PeerId) =>
  out.flatMap((o) => (o.type === 'send' && (to === undefined || o.to.equals(to)) ? [o] : []))
