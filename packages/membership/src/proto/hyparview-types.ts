/**
 * Timers, commands, events and drop reasons of the HyParView core (DSN 2007 section 4), as plain
 * data: timers are scheduled and handed back unchanged, never cancelled.
 */
import type { CoreInput, CoreOutput, PeerId } from '@saorsa-gossip/types'
import type { ContactRef } from './hyparview-contacts.ts'
import type { HyParViewMessage, PeerInfo } from './hyparview-messages.ts'

export type HyParViewTimer =
  | { readonly type: 'shuffle' }
  | { readonly type: 'maintenance' }
  /** Active-view refresh: swap one neighbour for a random passive peer that accepts. */
  | { readonly type: 'refresh' }
  | { readonly type: 'neighbor-timeout'; readonly peer: PeerId; readonly seq: number }
  | { readonly type: 'join-timeout'; readonly seq: number }
  /** Redial the kept contacts while isolated; `attempt` sets the next backoff. */
  | { readonly type: 'redial'; readonly seq: number; readonly attempt: number }
  /** The merge check: probe one kept contact outside our views. */
  | { readonly type: 'merge' }

export type HyParViewCommand =
  /** Join through the first reachable contact; contacts are remembered for rejoining when isolated. */
  | { readonly type: 'join'; readonly contacts: readonly PeerInfo[] }
  /** Keep contacts learned out of band (bootstrap or cached addresses, a peer named later) for redials and the merge check. */
  | { readonly type: 'add-contacts'; readonly contacts: readonly ContactRef[] }
  /** The driver dialled `addr` (asked by a `dial` event, or joining) and found `peer` there. */
  | { readonly type: 'contact-reached'; readonly addr: string; readonly peer: PeerInfo }
  /** Leave: DISCONNECT(alive: false) to every active peer; the core stays silent afterwards. */
  | { readonly type: 'leave' }

export type HyParViewEvent =
  | { readonly type: 'neighbor-up'; readonly peer: PeerId }
  | { readonly type: 'neighbor-down'; readonly peer: PeerId }
  /** Dial this contact address and report who answered with `contact-reached` (no PeerId is known before). */
  | { readonly type: 'dial'; readonly addr: string }

export type HyParViewInput = CoreInput<HyParViewMessage, HyParViewTimer, HyParViewCommand>
export type HyParViewOutput = CoreOutput<HyParViewMessage, HyParViewTimer, HyParViewEvent>

/** Reasons for which remote input was ignored; counted in `drops`. */
export type HyParViewDropReason =
  | 'from-self' | 'join-rate-limited' | 'not-a-neighbor' | 'unsolicited-shuffle-reply'
  | 'passive-source-cap' | 'passive-message-cap' | 'neighbor-timeout' | 'left'
