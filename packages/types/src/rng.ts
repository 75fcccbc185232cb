/**
 * Random numbers for protocol cores, always injected (docs/architecture.md section 2). `SeededRng` is
 * xoshiro128** (Blackman and Vigna, 2018) seeded through splitmix32, so the same seed gives the same
 * run on every platform; `cryptoRng()` draws from `crypto.getRandomValues` for production use.
 */

export interface Rng {
  /** Uniform 32-bit unsigned integer. */
  nextU32(): number
  /** Uniform float in [0, 1). */
  nextFloat(): number
  /** Uniform integer in [0, maxExclusive); `maxExclusive` must be a positive safe integer. */
  nextInt(maxExclusive: number): number
  /** Fills `out` with random bytes and returns it. */
  fill(out: Uint8Array): Uint8Array
}

abstract class RngBase implements Rng {
  abstract nextU32(): number

  nextFloat(): number {
    // 53 random bits: two draws, as in most JS PRNG libraries.
    return ((this.nextU32() >>> 5) * 67108864 + (this.nextU32() >>> 6)) / 9007199254740992
  }

  nextInt(maxExclusive: number): number {
    if (!Number.isSafeInteger(maxExclusive) || maxExclusive <= 0) {
      throw new RangeError(`nextInt: maxExclusive must be a positive safe integer, got ${maxExclusive}`)
    }
    if (maxExclusive <= 0x1_0000_0000) {
      // Rejection sampling removes modulo bias.
      const limit = 0x1_0000_0000 - (0x1_0000_0000 % maxExclusive)
      for (;;) {
        const x = this.nextU32()
        if (x < limit) return x % maxExclusive
      }
    }
    return Math.floor(this.nextFloat() * maxExclusive)
  }

  fill(out: Uint8Array): Uint8Array {
    for (let i = 0; i < out.length; i += 4) {
      let x = this.nextU32()
      for (let j = i; j < Math.min(i + 4, out.length); j++) {
        out[j] = x & 0xff
        x >>>= 8
      }
    }
    return out
  }
}

/** Deterministic xoshiro128** generator. */
export class SeededRng extends RngBase {
  #s0: number
  #s1: number
  #s2: number
  #s3: number

  constructor(seed: number | bigint | string) {
    super()
    let x = hashSeed(seed)
    const next = (): number => {
      // splitmix32
      x = (x + 0x9e3779b9) | 0
      let z = x
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
      return (z ^ (z >>> 16)) >>> 0
    }
    this.#s0 = next()
    this.#s1 = next()
    this.#s2 = next()
    this.#s3 = next()
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 1
  }

  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.#s1, 5), 7), 9) >>> 0
    const t = this.#s1 << 9
    this.#s2 ^= this.#s0
    this.#s3 ^= this.#s1
    this.#s1 ^= this.#s2
    this.#s0 ^= this.#s3
    this.#s2 ^= t
    this.#s3 = rotl(this.#s3, 11)
    return result
  }

  /** An independent generator derived from this one's stream and a label (per-node RNGs in the simulator). */
  fork(label: string | number): SeededRng {
    return new SeededRng(`${this.nextU32()}:${this.nextU32()}:${label}`)
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k))
}

/** FNV-1a over the seed's decimal or text form: any seed value maps to 32 bits deterministically. */
function hashSeed(seed: number | bigint | string): number {
  const text = typeof seed === 'string' ? `s:${seed}` : `n:${seed.toString()}`
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

class CryptoRng extends RngBase {
  #buffer = new Uint32Array(256)
  #index = 256
  nextU32(): number {
    if (this.#index >= this.#buffer.length) {
      globalThis.crypto.getRandomValues(this.#buffer)
      this.#index = 0
    }
    return this.#buffer[this.#index++]!
  }
  override fill(out: Uint8Array): Uint8Array {
    for (let i = 0; i < out.length; i += 65536) globalThis.crypto.getRandomValues(out.subarray(i, Math.min(i + 65536, out.length)))
    return out
  }
}

/** A generator backed by the platform CSPRNG (`crypto.getRandomValues`). */
export function cryptoRng(): Rng {
  return new CryptoRng()
}

/** Fisher-Yates shuffle of a copy of `items`. */
export function shuffled<T>(rng: Rng, items: readonly T[]): T[] {
  const out = items.slice()
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1)
    const tmp = out[i]!
    out[i] = out[j]!
    out[j] = tmp
  }
  return out
}

/** A uniformly chosen element, or undefined for an empty list. */
export function pick<T>(rng: Rng, items: readonly T[]): T | undefined {
  return items.length === 0 ? undefined : items[rng.nextInt(items.length)]
}

/** Up to `count` distinct elements chosen uniformly. */
export function sample<T>(rng: Rng, items: readonly T[], count: number): T[] {
  return shuffled(rng, items).slice(0, Math.max(0, count))
}
