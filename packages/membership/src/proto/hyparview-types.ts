/**
 * Timers, commands, events and drop reasons of the HyParView core (DSN 2007 section 4), as plain
 * data: timers are scheduled and handed back unchanged, never cancelled.
 */
import type { CoreInput, CoreOutput, PeerId } from '@saorsa-gossip/types'
import type { HyParViewMessage, PeerInfo } from './hyparview-messages.ts'

export type HyParViewTimer =
  | { readonly type: 'shuffle' }
  | { readonly type: 'maintenance' }
  /** Active-view refresh: swap one neighbour for a random passive peer that accepts. */
  | { readonly type: 'refresh' }
  | { readonly type: 'neighbor-timeout'; readonly peer: PeerId; readonly seq: number }
  | { readonly type: 'join-timeout'; readonly seq: number }

export type HyParViewCommand =
  /** Join through the first reachable contact; contacts are remembered for rejoining when isolated. */
  | { readonly type: 'join'; readonly contacts: readonly PeerInfo[] }
  /** Leave: DISCONNECT(alive: false) to every active peer; the core stays silent afterwards. */
  | { readonly type: 'leave' }

export type HyParViewEvent =
  | { readonly type: 'neighbor-up'; readonly peer: PeerId }
  | { readonly type: 'neighbor-down'; readonly peer: PeerId }

export type HyParViewInput = CoreInput<HyParViewMessage, HyParViewTimer, HyParViewCommand>
export type HyParViewOutput = CoreOutput<HyParViewMessage, HyParViewTimer, HyParViewEvent>

/** Reasons for which remote input was ignored; counted in `drops`. */
export type HyParViewDropReason =
  | 'from-self' | 'join-rate-limited' | 'not-a-neighbor' | 'unsolicited-shuffle-reply'
  | 'passive-source-cap' | 'passive-message-cap' | 'neighbor-timeout' | 'left'
