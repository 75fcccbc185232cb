/**
 * The seeded mutation loop of the codec fuzz tests (docs/architecture.md section 3: decoders throw
 * only DecodeError): bit flips, boundary CBOR heads, truncations, insertions, deletions, splices of
 * other valid encodings, random bytes; and random byte strings. For tests only: no runtime code
 * imports `@saorsa-gossip/types/testing`, and it carries no compatibility promise.
 */
import { DecodeError } from '../errors.ts'
import { SeededRng, type Rng } from '../rng.ts'

/** CBOR initial bytes at the edges of each major type's argument sizes, and the simple values. */
export const INTERESTING_BYTES: readonly number[] = Object.freeze([
  0x00, 0x01, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x20, 0x38, 0x40, 0x58, 0x59, 0x5f, 0x60, 0x78, 0x7f, 0x80,
  0x98, 0x9f, 0xa0, 0xb8, 0xbf, 0xc0, 0xd8, 0xf4, 0xf5, 0xf6, 0xf7, 0xf9, 0xfa, 0xfb, 0xff,
])

/** The number of fuzz inputs: env `FUZZ_RUNS` when set (a positive integer), else `fallback`. */
export function fuzzRuns(fallback: number): number {
  const raw = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.['FUZZ_RUNS']
  if (raw === undefined || raw === '') return fallback
  const runs = Number(raw)
  if (!Number.isSafeInteger(runs) || runs < 1) throw new RangeError(`FUZZ_RUNS must be a positive integer, got '${raw}'`)
  return runs
}

/** One to four mutations of `seed` (never modified); splices take bytes from `corpus`. */
export function mutate(rng: Rng, seed: Uint8Array, corpus: readonly Uint8Array[]): Uint8Array {
  let b: Uint8Array = seed.slice()
  const steps = 1 + rng.nextInt(4)
  for (let s = 0; s < steps; s++) {
    const at = b.length === 0 ? 0 : rng.nextInt(b.length)
    switch (rng.nextInt(7)) {
      case 0: if (b.length > 0) b[at] = b[at]! ^ (1 << rng.nextInt(8)); break
      case 1: if (b.length > 0) b[at] = INTERESTING_BYTES[rng.nextInt(INTERESTING_BYTES.length)]!; break
      case 2: b = b.subarray(0, rng.nextInt(b.length + 1)); break
      case 3: b = splice(b, at, 0, rng.fill(new Uint8Array(1 + rng.nextInt(8)))); break
      case 4: b = splice(b, at, rng.nextInt(Math.min(16, b.length - at) + 1), new Uint8Array(0)); break
      case 5: {
        if (corpus.length === 0) break
        const other = corpus[rng.nextInt(corpus.length)]!
        b = splice(b, at, b.length - at, other.subarray(rng.nextInt(other.length + 1)))
        break
      }
      default: if (b.length > 0) b[at] = rng.nextU32() & 0xff
    }
  }
  return b
}

function splice(b: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length - remove + insert.length)
  out.set(b.subarray(0, at))
  out.set(insert, at)
  out.set(b.subarray(at + remove), at + insert.length)
  return out
}

/** True when `decode` refused `input` with DecodeError, false when it decoded; anything else is rethrown with the input. */
export function rejectsWithDecodeError(decode: (input: Uint8Array) => unknown, input: Uint8Array): boolean {
  try {
    decode(input)
    return false
  } catch (err) {
    if (err instanceof DecodeError) return true
    const hex = Array.from(input.subarray(0, 100), (x) => x.toString(16).padStart(2, '0')).join('')
    throw new Error(`a decoder threw ${(err as Error)?.name ?? typeof err} (not DecodeError) for input ${hex}${input.length > 100 ? '...' : ''}`, { cause: err })
  }
}

export interface FuzzDecoderOptions {
  readonly decode: (input: Uint8Array) => unknown
  /** Valid encodings of this decoder's input; each must decode (else the loop fuzzes nothing). */
  readonly seeds: readonly Uint8Array[]
  /** Valid encodings of any kind, spliced in and mutated as every fourth base. Default `seeds`. */
  readonly corpus?: readonly Uint8Array[]
  readonly runs: number
  /** Seed of the loop's SeededRng: the same seed replays the same inputs. */
  readonly seed: string | number
  /** Inputs between two turns of the event loop (default 2,000), so a long loop never starves it. */
  readonly turnEvery?: number
  /**
   * Called with every mutated input after `decode`, and whether it decoded: further properties of
   * the same input (a validator that must refuse it, say). Whatever it throws fails the loop.
   */
  readonly check?: (input: Uint8Array, decoded: boolean) => void
}

export interface FuzzResult {
  /** Mutated inputs refused with DecodeError. */
  readonly rejected: number
  /** Mutated inputs that still decoded (a mutation can leave a valid encoding). */
  readonly decoded: number
}

/** Runs `runs` mutated inputs through `decode`; resolves with the counts, rejects on any error but DecodeError. */
export async function fuzzDecoder(options: FuzzDecoderOptions): Promise<FuzzResult> {
  const { decode, seeds, runs } = options
  if (seeds.length === 0) throw new RangeError('fuzzDecoder: seeds must not be empty')
  seeds.forEach((seed, i) => {
    if (rejectsWithDecodeError(decode, seed)) throw new Error(`fuzzDecoder: seed ${i} does not decode`)
  })
  const corpus = options.corpus ?? seeds
  const turnEvery = options.turnEvery ?? 2_000
  const rng = new SeededRng(options.seed)
  let rejected = 0
  for (let i = 0; i < runs; i++) {
    if (i % turnEvery === 0) await turn()
    const base = i % 4 === 0 && corpus.length > 0 ? corpus[rng.nextInt(corpus.length)]! : seeds[rng.nextInt(seeds.length)]!
    const input = mutate(rng, base, corpus)
    const refused = rejectsWithDecodeError(decode, input)
    if (refused) rejected++
    options.check?.(input, !refused)
  }
  return { rejected, decoded: runs - rejected }
}

/**
 * Runs `runs` random byte strings of 0 to `maxLength - 1` bytes (default 300) through every decoder;
 * resolves with the counts of each decoder, in the order given.
 */
export async function fuzzRandomBytes(options: {
  readonly decoders: readonly ((input: Uint8Array) => unknown)[]; readonly runs: number; readonly seed: string | number
  readonly maxLength?: number; readonly turnEvery?: number
}): Promise<FuzzResult[]> {
  const rng = new SeededRng(options.seed)
  const turnEvery = options.turnEvery ?? 2_000
  const rejected = options.decoders.map(() => 0)
  for (let i = 0; i < options.runs; i++) {
    if (i % turnEvery === 0) await turn()
    const input = rng.fill(new Uint8Array(rng.nextInt(options.maxLength ?? 300)))
    options.decoders.forEach((decode, d) => {
      if (rejectsWithDecodeError(decode, input)) rejected[d]!++
    })
  }
  return rejected.map((count) => ({ rejected: count, decoded: options.runs - count }))
}

/** One turn of the event loop without relying on Node's setImmediate. */
const turn = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0))
