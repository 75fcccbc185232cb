/**
 * Inputs, outputs and timers of the rendezvous core (docs/architecture.md section 2): commands from
 * the service, messages of `/saorsa/rendezvous/1`, shard-topic validations handed over by pubsub,
 * and the events the driver turns into pubsub calls and seek results.
 */
import type { CoreInput, CoreOutput, PeerId } from '@saorsa-gossip/types'
import type { Capability, RendezvousMessage, SignedSummary } from '../codec.ts'

export interface ProvideCommand {
  readonly type: 'provide'
  readonly target: Uint8Array
  readonly capabilities: readonly Capability[]
  readonly contentRoot?: Uint8Array
  readonly manifestVersion?: number
  readonly bloom?: Uint8Array
  readonly addressHints: readonly string[]
  /** Validity of each summary; republished at `republishFraction` of it. */
  readonly lifetimeMs: number
}

export type RendezvousCommand =
  | ProvideCommand
  | { readonly type: 'unprovide'; readonly target: Uint8Array }
  | { readonly type: 'seek'; readonly seekId: number; readonly target: Uint8Array; readonly capability?: Capability }
  | { readonly type: 'seek-end'; readonly seekId: number }
  /** The peers holding the `rendezvous` role (from coordinator adverts); replaces the previous set. */
  | { readonly type: 'servers'; readonly peers: readonly PeerId[] }
  /** A shard-topic message after pubsub checked its origin signature; answered by a `verdict` event. */
  | { readonly type: 'validate'; readonly validationId: number; readonly shard: number; readonly origin: PeerId; readonly payload: Uint8Array }
  | { readonly type: 'start' }

export type RendezvousTimer =
  | { readonly type: 'republish'; readonly target: string; readonly seq: number }
  | { readonly type: 'query-timeout'; readonly queryId: number }
  | { readonly type: 'leave'; readonly shard: number; readonly generation: number }
  | { readonly type: 'prune' }
  /** Asks `server` again once the wait its refusal (or an earlier one) stated is over. */
  | { readonly type: 'retry'; readonly seekId: number; readonly server: PeerId; readonly cursor: number | undefined }

export type Verdict = 'accept' | 'reject' | 'ignore'

export type RendezvousEvent =
  /** Publish these bytes on the shard's topic. */
  | { readonly type: 'publish'; readonly shard: number; readonly bytes: Uint8Array }
  | { readonly type: 'join'; readonly shard: number }
  | { readonly type: 'leave'; readonly shard: number }
  | { readonly type: 'verdict'; readonly validationId: number; readonly verdict: Verdict }
  /** Providers for a seek, best first within the batch. */
  | { readonly type: 'found'; readonly seekId: number; readonly providers: readonly SignedSummary[] }
  /** Every server answered (or timed out) and no page is left; topic arrivals may still follow. */
  | { readonly type: 'seek-done'; readonly seekId: number }
  | { readonly type: 'provided'; readonly summary: SignedSummary }
  /**
   * A requester did what no honest node does (a forged registration, or queries sent on while told to
   * wait): the driver lowers its score with the transport (`reportInvalid`).
   */
  | { readonly type: 'misbehaved'; readonly peer: PeerId; readonly reason: 'forged-registration' | 'ignored-refusals' }

export type RendezvousInput = CoreInput<RendezvousMessage, RendezvousTimer, RendezvousCommand>
export type RendezvousOutput = CoreOutput<RendezvousMessage, RendezvousTimer, RendezvousEvent>

/** Why the core dropped something from the network or refused a command; counted, never thrown. */
export type RendezvousDropReason =
  | 'malformed' | 'version' | 'key-mismatch' | 'origin-mismatch' | 'expired' | 'from-future' | 'lifetime' | 'bad-signature'
  | 'stale' | 'duplicate' | 'rate' | 'provider-quota' | 'full' | 'wrong-shard' | 'off-target' | 'unexpected-reply' | 'not-serving'
  | 'too-many-targets' | 'too-many-results'
  /** This node refused a query or dropped a registration: the requester's share, or everyone's, was used up. */
  | 'query-rate' | 'query-busy' | 'register-rate' | 'register-busy'
  /** A server refused one of this node's queries; `backoff`: a server was skipped while it asked to wait longer than a query may take. */
  | 'refused' | 'backoff'
