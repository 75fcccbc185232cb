/**
 * Clock interface: the only way time enters a component. Protocol cores never read it themselves:
 * drivers call `now()` and pass `nowMs` into `handle`. The simulator supplies a virtual clock.
 */

/** A source of milliseconds. `now()` is monotonic; `wallNow()` is Unix time for timestamps on the wire. */
export interface Clock {
  /** Monotonic milliseconds since an arbitrary origin (never goes backwards). */
  now(): number
  /** Milliseconds since the Unix epoch, for timestamps that other peers read. */
  wallNow(): number
}

/** The host clock: `performance.now()` for intervals and `Date.now()` for timestamps. */
export const systemClock: Clock = Object.freeze({
  now: () => performance.now(),
  wallNow: () => Date.now(),
})

/** A clock that moves only when told to, for tests and the simulator. */
export class ManualClock implements Clock {
  #nowMs: number
  #wallOffsetMs: number
  constructor(startMs = 0, wallOffsetMs = 1_700_000_000_000) {
    this.#nowMs = startMs
    this.#wallOffsetMs = wallOffsetMs
  }
  now(): number {
    return this.#nowMs
  }
  wallNow(): number {
    return this.#wallOffsetMs + this.#nowMs
  }
  /** Moves time forward by `ms` (never backwards). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`ManualClock.advance: ms must be >= 0, got ${ms}`)
    this.#nowMs += ms
  }
  /** Sets time to `ms`, which must not be earlier than now. */
  set(ms: number): void {
    if (!(ms >= this.#nowMs)) throw new RangeError(`ManualClock.set: cannot go back from ${this.#nowMs} to ${ms}`)
    this.#nowMs = ms
  }
}
