/**
 * A small helper shared by carriers: promises that wait for "the buffer drained" and that all
 * reject at once when the pipe closes, so `BytePipe.write` never hangs after close (carrier contract).
 */
import { ConnectionClosedError } from '../errors.ts'

export class DrainWaiters {
  #waiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = []

  wait(): Promise<void> {
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }))
  }

  get size(): number { return this.#waiters.length }

  resolveAll(): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) w.resolve()
  }

  rejectAll(error: Error = new ConnectionClosedError()): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) w.reject(error)
  }
}

/** The error every write after close rejects with; keeps the close cause for diagnostics. */
export function closedError(cause?: Error): ConnectionClosedError {
  return cause === undefined ? new ConnectionClosedError() : new ConnectionClosedError(`connection is closed: ${cause.message}`, { cause })
}
