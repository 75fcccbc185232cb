/**
 * The longest stretch a test file keeps its worker's event loop busy. Vitest talks to its workers
 * over RPC calls that time out after 60 s, and a reply can only be read when the loop takes a turn,
 * so a file that computes for a minute without yielding fails with `Timeout calling "onTaskUpdate"`
 * however correct its tests are. The meter is pure (times are passed in) so it can be tested exactly.
 */

/** Longest busy stretch a test file may hold its worker's event loop, in wall-clock ms. */
export const STRETCH_LIMIT_MS = 10_000

export interface LoopStretch {
  /** Wall-clock ms between two turns of the event loop. */
  readonly ms: number
  /** Where the file was when the loop last turned before the stretch. */
  readonly from: string
  /** Where the file was when the stretch ended. */
  readonly to: string
}

export class LoopStretchMeter {
  #lastTurnMs: number
  #lastTurnAt: string
  #at: string
  #longest: LoopStretch

  constructor(startMs: number, at: string) {
    this.#lastTurnMs = startMs
    this.#lastTurnAt = at
    this.#at = at
    this.#longest = { ms: 0, from: at, to: at }
  }

  /** The file moved on (a test started or ended); the label names the stretch it falls in. */
  enter(at: string): void {
    this.#at = at
  }

  /** The event loop turned at `nowMs`: everything since the previous turn was one busy stretch. */
  turn(nowMs: number): void {
    const ms = nowMs - this.#lastTurnMs
    if (ms > this.#longest.ms) this.#longest = { ms, from: this.#lastTurnAt, to: this.#at }
    this.#lastTurnMs = nowMs
    this.#lastTurnAt = this.#at
  }

  get longest(): LoopStretch {
    return this.#longest
  }
}

/** The failure message: how long, where, and what to do about it. */
export function describeStretch(stretch: LoopStretch, limitMs: number): string {
  const where = stretch.from === stretch.to ? `during ${stretch.from}` : `from ${stretch.from} to ${stretch.to}`
  return `the event loop was busy for ${(stretch.ms / 1000).toFixed(2)} s without a turn (limit ${(limitMs / 1000).toFixed(2)} s), ${where}: ` +
    'yield between long synchronous steps (in simulator tests, await sim.runForAsync / sim.runUntilAsync)'
}
