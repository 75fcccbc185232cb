/**
 * Event-loop lag sampling for the driver (Lifeguard's local health, DSN 2018, section 4: a node
 * judges its own timeliness before blaming peers). A host timer asks to fire every `intervalMs`;
 * how late it actually fires is how long the loop was busy with other work, which is also how long
 * received frames wait before the core sees them. Each sample goes to the core as 'local-lag'
 * (pubsub widens its graft timers with it, membership its SWIM timeouts).
 */

export class LagMonitor {
  readonly #intervalMs: number
  readonly #report: (lagMs: number) => void
  readonly #now: () => number
  #handle: ReturnType<typeof setTimeout> | undefined
  #expectedMs = 0

  /**
   * `now` defaults to the host's own clock: lateness is a property of the host's timers, whatever clock
   * the core runs on. A driver whose timers run on an injected clock (fake timers in tests) passes it.
   */
  constructor(intervalMs: number, report: (lagMs: number) => void, now: () => number = () => performance.now()) {
    this.#intervalMs = intervalMs
    this.#report = report
    this.#now = now
  }

  start(): void {
    if (this.#handle !== undefined || this.#intervalMs <= 0) return
    this.#arm()
  }

  stop(): void {
    if (this.#handle !== undefined) clearTimeout(this.#handle)
    this.#handle = undefined
  }

  #arm(): void {
    this.#expectedMs = this.#now() + this.#intervalMs
    const handle = setTimeout(() => {
      this.#report(Math.max(0, this.#now() - this.#expectedMs))
      this.#arm()
    }, this.#intervalMs)
    // Sampling never keeps a process alive on its own.
    ;(handle as { unref?: () => void }).unref?.()
    this.#handle = handle
  }
}
