/**
 * Which beacon topics a member listens on (SPEC.md section 13.2): the current slice's, the next
 * slice's from `topicLeadMs` before the boundary, the previous slice's until `topicGraceMs` after
 * it, for every epoch secret still in use. Pure functions of the wall clock.
 */
import { sliceOf } from './derive.ts'

/** Slices whose topics are wanted at `wallMs`, oldest first. */
export function wantedSlices(wallMs: number, sliceMs: number, leadMs: number, graceMs: number): number[] {
  const first = sliceOf(wallMs - graceMs, sliceMs)
  const last = sliceOf(wallMs + leadMs, sliceMs)
  const out: number[] = []
  for (let s = first; s <= last; s++) out.push(s)
  return out
}

/** Milliseconds from `wallMs` until `wantedSlices` next changes (always positive). */
export function untilTopicChange(wallMs: number, sliceMs: number, leadMs: number, graceMs: number): number {
  const nextJoin = (sliceOf(wallMs + leadMs, sliceMs) + 1) * sliceMs - leadMs
  const nextLeave = (sliceOf(wallMs - graceMs, sliceMs) + 1) * sliceMs + graceMs
  return Math.max(1, Math.min(nextJoin, nextLeave) - wallMs)
}
