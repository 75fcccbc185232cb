/**
 * SWIM suspicion of one member, from the first accusation to the declaration of death (Das, Gupta,
 * Motivala, DSN 2002, section 4.2; Lifeguard, arXiv:1707.00788, section IV-B "LHA-Suspicion"):
 * independent confirmations shorten the timeout, and a suspicion timer that fires early, late or while
 * this node lags waits instead of declaring. The arithmetic is in `suspicion.ts`; `swim.ts` owns the
 * member list and calls in here.
 */
import type { Outbox, PeerId } from '@saorsa-gossip/types'
import type { SwimConfig } from './swim-config.ts'
import type { SwimState, SwimUpdate } from './swim-messages.ts'
import type { SwimOutput, SwimTimer } from './swim-types.ts'
import { suspicionMinTimeoutMs, suspicionTimeoutMs } from './suspicion.ts'
import type { SwimUpdateQueue } from './swim-updates.ts'

/** One watched member, as the SWIM core keeps it. */
export interface Member {
  readonly peer: PeerId
  state: SwimState
  incarnation: number
  /** Suspicion bookkeeping, meaningful while `state === 'suspect'`. */
  suspectSinceMs: number
  suspecter: string
  suspectedBy: PeerId
  confirmations: Set<string>
  expectedConfirmations: number
  deadlineMs: number
  /** When this node last received any message from the member (PING-REQ helper choice). */
  heardAtMs: number
}

/** What suspicion needs from the SWIM core around it. */
export interface SuspicionHost {
  readonly config: SwimConfig
  readonly updates: SwimUpdateQueue
  /** Members this node counts alive, itself included. */
  liveCount(): number
  /** How much every timeout is widened right now for local lag (ms). */
  lagWideningMs(nowMs: number): number
  /** The ack timeout scaled by local health and lag (ms). */
  ackTimeoutMs(nowMs: number): number
  adjustHealth(delta: number): void
}

type SuspicionTimer = Extract<SwimTimer, { type: 'suspicion' }>

/** `m` is accused by `u` at an incarnation not older than ours: it becomes suspect and its timer starts. */
export function startSuspicion(host: SuspicionHost, m: Member, u: SwimUpdate, nowMs: number, out: Outbox<SwimOutput>): void {
  m.state = 'suspect'
  m.incarnation = u.incarnation
  m.suspectSinceMs = nowMs
  m.suspecter = u.from.toHex()
  m.suspectedBy = u.from
  m.confirmations = new Set()
  const live = host.liveCount()
  // Too few members to deliver the expected confirmations: wait the minimum only (memberlist).
  const k = host.config.suspicionConfirmations
  m.expectedConfirmations = host.config.lifeguard && live - 2 >= k ? k : 0
  m.deadlineMs = nowMs + timeoutOf(host, m, live) + host.lagWideningMs(nowMs)
  host.updates.enqueue(u)
  out.push({ type: 'schedule', delayMs: m.deadlineMs - nowMs, timer: { type: 'suspicion', peer: m.peer, incarnation: m.incarnation, extended: false } })
  out.push({ type: 'emit', event: { type: 'member-suspect', peer: m.peer, incarnation: m.incarnation, by: u.from } })
}

/** Another member suspects `m` at the same incarnation: an independent confirmation shortens the wait. */
export function confirmSuspicion(host: SuspicionHost, m: Member, u: SwimUpdate, nowMs: number, out: Outbox<SwimOutput>): void {
  const from = u.from.toHex()
  if (from === m.suspecter || m.confirmations.has(from)) return
  if (m.confirmations.size >= m.expectedConfirmations) return
  m.confirmations.add(from)
  // Independent confirmations travel on, so other members can shorten their timers too.
  host.updates.enqueue(u)
  // A deadline that falls in the past ends the suspicion now; it is not a timer that ran late.
  const deadline = Math.max(nowMs, m.suspectSinceMs + timeoutOf(host, m, host.liveCount()) + host.lagWideningMs(nowMs))
  if (deadline >= m.deadlineMs) return
  m.deadlineMs = deadline
  out.push({
    type: 'schedule', delayMs: Math.max(0, deadline - nowMs),
    timer: { type: 'suspicion', peer: m.peer, incarnation: m.incarnation, extended: false },
  })
}

/**
 * The suspicion timer of a member still suspect at the timer's incarnation fired: returns true when
 * the member is to be declared dead now, false when the timer was scheduled again.
 */
export function suspicionExpired(host: SuspicionHost, m: Member, timer: SuspicionTimer, nowMs: number, out: Outbox<SwimOutput>): boolean {
  if (nowMs < m.deadlineMs) {
    // Early (a host whose timers run before its clock reaches them, or a deadline moved later):
    // wait out the rest. Dropped, the suspicion's only timer would leave the member suspect for
    // good, as our own failed probes of it are no confirmation.
    out.push({ type: 'schedule', delayMs: m.deadlineMs - nowMs, timer })
    return false
  }
  if (host.config.lifeguard && !timer.extended && nowMs - m.deadlineMs > host.config.ackTimeoutMs) {
    // Late-timer awareness: a refutation may be queued behind this overdue timer.
    host.adjustHealth(1)
    m.deadlineMs = nowMs + host.ackTimeoutMs(nowMs)
    out.push({ type: 'schedule', delayMs: m.deadlineMs - nowMs, timer: { ...timer, extended: true } })
    return false
  }
  // Local lag: a refutation may be waiting in our own queue. The deadline is the suspicion
  // timeout from when it started plus the widening for the lag we have now (so at most
  // maxLagWideningMs past the unwidened deadline, and none once we are on time again).
  const lagWidening = host.lagWideningMs(nowMs)
  const lagDeadline = m.suspectSinceMs + timeoutOf(host, m, host.liveCount()) + lagWidening
  if (lagWidening > 0 && lagDeadline > nowMs) {
    m.deadlineMs = lagDeadline
    out.push({ type: 'schedule', delayMs: lagDeadline - nowMs, timer })
    return false
  }
  return true
}

function timeoutOf(host: SuspicionHost, m: Member, live: number): number {
  const min = suspicionMinTimeoutMs(host.config.suspicionAlpha, live, host.config.probeIntervalMs)
  if (!host.config.lifeguard) return min
  return suspicionTimeoutMs(m.confirmations.size, m.expectedConfirmations, min, min * host.config.suspicionBeta)
}
