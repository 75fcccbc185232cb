/**
 * Hybrid logical clock (Kulkarni, Demirbas, Madappa, Avva, Leone, "Logical Physical Clocks",
 * OPODIS 2014, figure 5): timestamps stay within the clock skew of physical time yet respect
 * causality, so a write made after seeing another always orders after it. Ties between concurrent
 * writes break on the writer's PeerId bytes (hex order), the same answer on every build and platform.
 */

export interface HlcStamp {
  /** Milliseconds since the epoch (the largest physical time seen). */
  readonly wall: number
  /** Counter for events within the same `wall` millisecond. */
  readonly logical: number
  /** Writer's PeerId in lower-case hex. */
  readonly replica: string
}

/** Total order: wall, then logical, then replica bytes. */
export function compareStamps(a: HlcStamp, b: HlcStamp): number {
  if (a.wall !== b.wall) return a.wall < b.wall ? -1 : 1
  if (a.logical !== b.logical) return a.logical < b.logical ? -1 : 1
  return a.replica < b.replica ? -1 : a.replica > b.replica ? 1 : 0
}

export class Hlc {
  readonly replica: string
  #wall = 0
  #logical = 0

  constructor(replica: string) {
    this.replica = replica
  }

  /** A stamp for a local write at physical time `wallMs` (the caller's clock). */
  now(wallMs: number): HlcStamp {
    if (wallMs > this.#wall) {
      this.#wall = wallMs
      this.#logical = 0
    } else {
      this.#logical++
    }
    return { wall: this.#wall, logical: this.#logical, replica: this.replica }
  }

  /** Takes a stamp seen in a remote write into account, so later local writes order after it. */
  observe(remote: HlcStamp): void {
    if (remote.wall > this.#wall) {
      this.#wall = remote.wall
      this.#logical = remote.logical
    } else if (remote.wall === this.#wall && remote.logical > this.#logical) {
      this.#logical = remote.logical
    }
  }
}
