/**
 * ChaCha20-Poly1305 (RFC 8439) record sealing with two interchangeable implementations: node:crypto
 * (OpenSSL, about 10x faster at 64 KB) and @noble/ciphers (portable). The choice is made once per
 * process; both produce byte-identical records, which a test checks.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js'
import { concatBytes } from '@saorsa-gossip/types'

export const TAG_BYTES = 16
export const KEY_BYTES = 32
export const NONCE_BYTES = 12

export interface Aead {
  readonly name: 'node' | 'noble'
  /** Returns `prefix || ciphertext || tag` where `prefix` is also the associated data. */
  seal(key: Uint8Array, nonce: Uint8Array, prefix: Uint8Array, pieces: readonly Uint8Array[]): Uint8Array
  /** Returns the plaintext, or undefined if authentication fails. Never throws on bad input. */
  open(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | undefined
}

export const nobleAead: Aead = {
  name: 'noble',
  seal(key, nonce, prefix, pieces) {
    const plaintext = pieces.length === 1 ? pieces[0]! : concatBytes(...pieces)
    const out = new Uint8Array(prefix.length + plaintext.length + TAG_BYTES)
    out.set(prefix, 0)
    chacha20poly1305(key, nonce, prefix).encrypt(plaintext, out.subarray(prefix.length))
    return out
  },
  open(key, nonce, aad, sealed) {
    if (sealed.length < TAG_BYTES) return undefined
    try {
      return chacha20poly1305(key, nonce, aad).decrypt(sealed)
    } catch {
      return undefined
    }
  },
}

type NodeCrypto = typeof import('node:crypto')

function makeNodeAead(crypto: NodeCrypto): Aead {
  const { Buffer } = globalThis as unknown as { Buffer: typeof import('node:buffer').Buffer }
  return {
    name: 'node',
    seal(key, nonce, prefix, pieces) {
      const cipher = crypto.createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_BYTES })
      let plaintextLength = 0
      for (const piece of pieces) plaintextLength += piece.length
      cipher.setAAD(prefix, { plaintextLength })
      const parts: Uint8Array[] = [prefix]
      let total = prefix.length + TAG_BYTES
      for (const piece of pieces) {
        const ct = cipher.update(piece)
        parts.push(ct)
        total += ct.length
      }
      cipher.final()
      parts.push(cipher.getAuthTag())
      return Buffer.concat(parts, total)
    },
    open(key, nonce, aad, sealed) {
      if (sealed.length < TAG_BYTES) return undefined
      const ctLength = sealed.length - TAG_BYTES
      try {
        const decipher = crypto.createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_BYTES })
        decipher.setAAD(aad, { plaintextLength: ctLength })
        decipher.setAuthTag(sealed.subarray(ctLength))
        const plaintext = decipher.update(sealed.subarray(0, ctLength))
        decipher.final()
        return plaintext
      } catch {
        return undefined
      }
    },
  }
}

let selected: Promise<Aead> | undefined

/** The fastest available implementation: node:crypto when it offers chacha20-poly1305, noble otherwise. Cached. */
export function loadAead(): Promise<Aead> {
  selected ??= (async () => {
    try {
      const crypto = (await import('node:crypto')) as NodeCrypto
      if (!crypto.getCiphers().includes('chacha20-poly1305')) return nobleAead
      const candidate = makeNodeAead(crypto)
      // Known-answer check against noble before trusting it (a misconfigured OpenSSL must not slip through).
      const key = new Uint8Array(KEY_BYTES).fill(7)
      const nonce = new Uint8Array(NONCE_BYTES).fill(1)
      const prefix = new Uint8Array([1, 2, 3, 4])
      const probe = [new Uint8Array([5, 6, 7])]
      const a = candidate.seal(key, nonce, prefix, probe)
      const b = nobleAead.seal(key, nonce, prefix, probe)
      return a.length === b.length && a.every((x, i) => x === b[i]) ? candidate : nobleAead
    } catch {
      return nobleAead
    }
  })()
  return selected
}
