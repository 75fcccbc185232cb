/**
 * The rendezvous name under which a node offers its key packages (SPEC.md 10.3): one per PeerId,
 * so an inviter that knows only the invitee's PeerId can find where to ask for a key package. The
 * record carries addresses, not the key package: a key package (~11 KB on suite 0xF165) exceeds a
 * ProviderSummary's 4,400-byte body (SPEC.md 11.2), and a fresh one per inviter keeps init keys single-use.
 */
import type { PeerId } from '@saorsa-gossip/types'

/** Versioned so a later record format can live beside this one under other names. */
export const KEY_PACKAGE_NAME_PREFIX = 'saorsa-gossip/key-package/v1/'

/** `saorsa-gossip/key-package/v1/<64 lower-case hex digits of the PeerId>`, hashed by rendezvous as any name. */
export function keyPackageRendezvousName(peer: PeerId): string {
  return `${KEY_PACKAGE_NAME_PREFIX}${peer.toHex()}`
}
