/**
 * A running 64-bit digest (two FNV-1a lanes) over everything the simulator processes: time,
 * step type, node, peer and message kind. Two runs with the same seed and scenario produce the
 * same digest; any divergence in ordering, timing or routing changes it.
 */

export class TraceDigest {
  #a = 0x811c9dc5
  #b = 0x01000193 ^ 0x5bd1e995

  addNumber(value: number): void {
    // Microsecond resolution, split into two 32-bit halves so large and fractional times both count.
    const scaled = Math.round(value * 1000)
    this.#addU32(scaled >>> 0)
    this.#addU32(Math.floor(scaled / 0x1_0000_0000) >>> 0)
  }

  addString(text: string): void {
    for (let i = 0; i < text.length; i++) this.#addU32(text.charCodeAt(i))
    this.#addU32(0xffff_ffff)
  }

  #addU32(x: number): void {
    this.#a = Math.imul(this.#a ^ x, 0x01000193) >>> 0
    this.#b = Math.imul(this.#b ^ ((x << 7) | (x >>> 25)), 0x0100_0193) >>> 0
    this.#b = (this.#b + (this.#a >>> 11)) >>> 0
  }

  hex(): string {
    return this.#a.toString(16).padStart(8, '0') + this.#b.toString(16).padStart(8, '0')
  }
}
