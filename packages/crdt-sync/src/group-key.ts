/**
 * Encryption of a document bound to an MLS group (SPEC.md 12.7): per group epoch, the document key
 * is MLS-Exporter("saorsa-gossip/crdt/v1 " || document name, 32) (RFC 9420 section 8.5), and every
 * frame is sealed with ChaCha20-Poly1305 (RFC 8439), a random 96-bit nonce and the document id and
 * epoch as associated data. Keys of the last few epochs stay, so frames sealed just before a commit
 * still open.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { concatBytes, u64be, utf8, type TopicId } from '@saorsa-gossip/types'
import { SEALED_NONCE_BYTES, SEALED_TAG_BYTES, type SealedFrame } from './codec.ts'

/**
 * What crdt-sync needs of a group: its current epoch and the MLS exporter. `MlsGroup` of
 * `@saorsa-gossip/groups` (a `GroupSession`'s `group`) satisfies it.
 */
export interface CrdtGroup {
  readonly epoch: number
  exportSecret(label: string, length: number): Promise<Uint8Array>
}

/** Exporter label prefix of document keys; the document name follows after one space. */
export const CRDT_EXPORTER_LABEL = 'saorsa-gossip/crdt/v1'
const AAD_PREFIX = utf8('saorsa-gossip/crdt-sealed/v1')
/** Epoch keys kept, current included: the MLS key retention of 4 epochs, as group topics keep. */
const RETAINED_EPOCHS = 4

export class DocCipher {
  readonly #group: CrdtGroup
  readonly #label: string
  readonly #doc: TopicId
  /** Document key per epoch, oldest first. */
  readonly #keys = new Map<number, Uint8Array>()
  #deriving: Promise<void> | undefined

  private constructor(group: CrdtGroup, docName: string, doc: TopicId) {
    this.#group = group
    this.#label = `${CRDT_EXPORTER_LABEL} ${docName}`
    this.#doc = doc
  }

  /** A cipher holding the key of the group's current epoch. */
  static async create(group: CrdtGroup, docName: string, doc: TopicId): Promise<DocCipher> {
    const cipher = new DocCipher(group, docName, doc)
    await cipher.#refresh()
    return cipher
  }

  /** Seals `plain` (an encoded frame) under the current epoch's key, deriving it first after a commit. */
  async seal(plain: Uint8Array): Promise<SealedFrame> {
    await this.#refresh()
    const epoch = this.#group.epoch
    const key = this.#keys.get(epoch)!
    const nonce = randomBytes(SEALED_NONCE_BYTES)
    const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: SEALED_TAG_BYTES })
    cipher.setAAD(this.#aad(epoch), { plaintextLength: plain.length })
    const ciphertext = concatBytes(cipher.update(plain), cipher.final(), cipher.getAuthTag())
    return { doc: this.#doc, sealed: { epoch, nonce: new Uint8Array(nonce), ciphertext } }
  }

  /**
   * The plain bytes of a sealed frame, or undefined when its epoch's key is not held (an old epoch
   * past retention, or one this member has not reached) or the ciphertext is forged or tampered. A
   * frame of the group's current epoch whose key is not derived yet waits for the derivation.
   */
  async open(frame: SealedFrame): Promise<Uint8Array | undefined> {
    const { epoch, nonce, ciphertext } = frame.sealed
    if (!frame.doc.equals(this.#doc)) return undefined
    if (!this.#keys.has(epoch) && epoch === this.#group.epoch) await this.#refresh().catch(() => {})
    const key = this.#keys.get(epoch)
    if (key === undefined) return undefined
    try {
      const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: SEALED_TAG_BYTES })
      decipher.setAAD(this.#aad(epoch), { plaintextLength: ciphertext.length - SEALED_TAG_BYTES })
      decipher.setAuthTag(ciphertext.subarray(ciphertext.length - SEALED_TAG_BYTES))
      return new Uint8Array(Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - SEALED_TAG_BYTES)), decipher.final()]))
    } catch {
      return undefined
    }
  }

  #aad(epoch: number): Uint8Array {
    return concatBytes(AAD_PREFIX, this.#doc.bytes, u64be(epoch))
  }

  /** Derives the current epoch's key if it is not held yet (one derivation at a time). */
  async #refresh(): Promise<void> {
    while (!this.#keys.has(this.#group.epoch)) {
      if (this.#deriving === undefined) {
        const epoch = this.#group.epoch
        this.#deriving = this.#group.exportSecret(this.#label, 32).then((key) => {
          if (key.length !== 32) throw new RangeError(`group.exportSecret returned ${key.length} bytes, not 32`)
          this.#keys.set(epoch, key)
          for (const old of this.#keys.keys()) if (this.#keys.size > RETAINED_EPOCHS && old !== epoch) this.#keys.delete(old)
        }).finally(() => { this.#deriving = undefined })
      }
      await this.#deriving
    }
  }
}
