/**
 * Named error classes shared by every package (js-libp2p style: one small class per failure,
 * `name` set on the class and the instance so callers and tests can match on `err.name`).
 * Remote input never throws through a protocol core; these are for local callers and decoders.
 */

/** Base class: every error this project throws on purpose extends it. */
export class SaorsaError extends Error {
  override readonly name: string = 'SaorsaError'
}

/** Bytes from the network or a file could not be decoded, or broke a size, count or schema rule. */
export class DecodeError extends SaorsaError {
  override readonly name = 'DecodeError'
  /** Dotted path of the offending field (`"msg.ids[3]"`), or `""` for the whole input. */
  readonly path: string
  constructor(message: string, path = '', options?: ErrorOptions) {
    super(path === '' ? message : `${path}: ${message}`, options)
    this.path = path
  }
}

/** A local caller passed an argument that is out of range or of the wrong kind. */
export class InvalidParametersError extends SaorsaError {
  override readonly name = 'InvalidParametersError'
}

/** The operation was cancelled through its AbortSignal. */
export class AbortError extends SaorsaError {
  override readonly name = 'AbortError'
  constructor(message = 'The operation was aborted', options?: ErrorOptions) {
    super(message, options)
  }
}

/** A deadline passed before the operation finished. */
export class TimeoutError extends SaorsaError {
  override readonly name = 'TimeoutError'
}

/** The component is not started, or already stopped. */
export class NotStartedError extends SaorsaError {
  override readonly name = 'NotStartedError'
}

/**
 * The options bag of every cancellable call in every package (js-libp2p's `AbortOptions`): an
 * aborted signal makes the call reject with `AbortError`.
 */
export interface AbortOptions {
  signal?: AbortSignal
}

/** Throws `AbortError` (carrying the signal's reason as `cause`) if the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new AbortError(undefined, { cause: signal.reason })
}

/**
 * Settles like `promise`, or rejects with `AbortError` (the signal's reason as `cause`) as soon as the
 * signal fires, whichever comes first. The listener is removed either way, so a long-lived signal
 * does not collect one per call. The underlying operation is not cancelled: callers that own it
 * clean it up on their side.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise
  if (signal.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }))
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new AbortError(undefined, { cause: signal.reason }))
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => { signal.removeEventListener('abort', onAbort); resolve(value) },
      (error: unknown) => { signal.removeEventListener('abort', onAbort); reject(error) },
    )
  })
}
