/**
 * The driver side of topic validators (gossipsub's `topicValidators`): the registry of validator
 * functions and the code that runs one and reports its verdict exactly once. The core holds the
 * message, bounds how many wait and times them out (`proto/validation.ts`); this file only calls
 * the function, sync or async, and turns throws and nonsense answers into a counted 'ignore'.
 */
import type { TopicId } from '@saorsa-gossip/types'
import { InvalidParametersError } from '@saorsa-gossip/types'
import type { ValidationRequest, ValidationResult } from './proto/messages.ts'

/** Judges a verified message before it is delivered or forwarded. */
export type TopicValidator = (message: ValidationRequest) => ValidationResult | Promise<ValidationResult>

export interface ValidatorOptions {
  /** A message without a verdict after this long is ignored (default: the config's validationTimeoutMs). */
  readonly timeoutMs?: number
}

const RESULTS: ReadonlySet<unknown> = new Set<ValidationResult>(['accept', 'reject', 'ignore'])

interface Registered {
  readonly topic: TopicId
  readonly validator: TopicValidator
  readonly timeoutMs: number
}

export class Validators {
  readonly #byTopic = new Map<string, Registered>()
  /** Told about each validator that threw or answered something other than accept / reject / ignore. */
  readonly #onError: () => void

  constructor(onError: () => void) {
    this.#onError = onError
  }

  set(topic: TopicId, validator: TopicValidator, timeoutMs: number): void {
    if (typeof validator !== 'function') throw new InvalidParametersError('validator: expected a function')
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new InvalidParametersError('timeoutMs: expected a positive number of milliseconds')
    this.#byTopic.set(topic.toHex(), { topic, validator, timeoutMs })
  }

  delete(topic: TopicId): boolean {
    return this.#byTopic.delete(topic.toHex())
  }

  /** Every registered validator, to hand the core again when it (re)starts. */
  registered(): Iterable<Registered> {
    return this.#byTopic.values()
  }

  /**
   * Runs the validator of `request.topic` and calls `answer` once with its verdict: synchronously
   * for a sync validator, on settlement for an async one. A topic whose validator was removed
   * meanwhile accepts.
   */
  run(request: ValidationRequest, answer: (result: ValidationResult) => void): void {
    const validator = this.#byTopic.get(request.topic.toHex())?.validator
    if (validator === undefined) return answer('accept')
    let result: ValidationResult | Promise<ValidationResult>
    try {
      result = validator(request)
    } catch {
      return answer(this.#failed())
    }
    if (!isThenable(result)) return answer(this.#checked(result))
    result.then((r) => answer(this.#checked(r)), () => answer(this.#failed()))
  }

  #checked(result: unknown): ValidationResult {
    return RESULTS.has(result) ? (result as ValidationResult) : this.#failed()
  }

  /** A broken local validator says nothing about the peer that sent the message: ignore, never reject. */
  #failed(): ValidationResult {
    this.#onError()
    return 'ignore'
  }
}

function isThenable(value: unknown): value is Promise<ValidationResult> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}
