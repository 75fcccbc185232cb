/**
 * Advert score: which cached coordinator to try first (formula and the reason for every weight in the
 * package README). Roles say what a coordinator can do for us, the NAT class how likely a dial
 * succeeds, age how likely it is still running, and our own dial history what actually happened.
 */
import type { NatClass, Role } from '../advert.ts'

export interface ScoreWeights {
  readonly roles: Readonly<Record<Role, number>>
  readonly nat: Readonly<Record<NatClass, number>>
  /** Range of the dial term: it moves from -dialRange (all failures) to +dialRange (all successes). */
  readonly dialRange: number
  /** Points lost per hour since the advert was signed... */
  readonly agePerHour: number
  /** ...up to this many. */
  readonly maxAgePenalty: number
}

export const DEFAULT_SCORE_WEIGHTS: ScoreWeights = Object.freeze({
  roles: Object.freeze({ coordinator: 4, relay: 2, reflector: 1, rendezvous: 1 }),
  nat: Object.freeze({ eim: 2, unknown: 0, edm: -1, symmetric: -3 }),
  dialRange: 4,
  agePerHour: 1,
  maxAgePenalty: 8,
})

export interface ScoreInput {
  readonly roles: readonly Role[]
  readonly nat: NatClass
  readonly notBeforeMs: number
  readonly dialSuccesses: number
  readonly dialFailures: number
}

/**
 * score = sum(role weights) + nat weight + dialRange * (2 (s + 1) / (s + f + 2) - 1) - min(maxAge, agePerHour * age h).
 * The dial term is Laplace's rule of succession: an untried coordinator scores 0 there, and each
 * outcome moves it less than the previous one.
 */
export function advertScore(entry: ScoreInput, wallMs: number, weights: ScoreWeights = DEFAULT_SCORE_WEIGHTS): number {
  let score = 0
  for (const role of entry.roles) score += weights.roles[role]
  score += weights.nat[entry.nat]
  const s = entry.dialSuccesses
  const f = entry.dialFailures
  score += weights.dialRange * ((2 * (s + 1)) / (s + f + 2) - 1)
  const ageHours = Math.max(0, wallMs - entry.notBeforeMs) / 3_600_000
  score -= Math.min(weights.maxAgePenalty, weights.agePerHour * ageHours)
  return score
}
