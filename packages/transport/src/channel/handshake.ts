/**
 * The secure-channel handshake (SPEC.md section 5.2), as two synchronous state machines that take
 * bytes and return bytes, so the same code runs over any carrier and under test vectors:
 * M1 I->R {versions, ephemeral X-Wing ek, nonce}; M2 R->I {Encaps ct, nonce, version, AEAD(pk_R, sig_R, addr)};
 * M3 I->R AEAD(pk_I, sig_I, addr). SIGMA-I style: each side signs the transcript hash (X-Wing =
 * ML-KEM-768 + X25519, draft-connolly-cfrg-xwing-kem; FIPS 204; DOMAIN.handshake). Every secret but
 * the two traffic keys is wiped before a state machine returns; the traffic keys pass to the record layer.
 */
import { verifySignature, type Identity, type SignatureBackend } from '@saorsa-gossip/identity'
import { concatBytes, DOMAIN, PeerId } from '@saorsa-gossip/types'
import { HandshakeError } from '../errors.ts'
import type { Aead } from './aead.ts'
import { NONCE_BYTES } from './aead.ts'
import { deriveHandshakeKeys, deriveTrafficKeys, transcriptNext, transcriptStart, type DirectionalKeys } from './kdf.ts'
import { xwingDecapsulateExpanded, xwingEncapsulate, xwingKeygenExpanded } from './xwing.ts'
import {
  decodeIdentityPayload, decodeM1, decodeM2, decodeM3, encodeAddrField, encodeIdentityPayload, encodeM1, encodeM2Head,
  MSG_M3, NONCE_LENGTH, SUPPORTED_VERSIONS,
} from './messages.ts'

/** Role bytes that start each signed body, so a responder signature can never pass as an initiator one. */
const ROLE_RESPONDER = 0x52 // 'R'
const ROLE_INITIATOR = 0x49 // 'I'
const ZERO_NONCE = new Uint8Array(NONCE_BYTES)

export interface HandshakeResult {
  readonly version: number
  readonly remotePublicKey: Uint8Array
  readonly remotePeer: PeerId
  /** Our own address as the remote observed it (address reflection). */
  readonly observedAddr: string
  /**
   * Key for records we send, and for records we receive. Whoever takes them owns them: the record
   * layer keeps no copy and wipes each key when it moves to the next one or closes.
   */
  readonly sendKey: Uint8Array
  readonly receiveKey: Uint8Array
  /** Final transcript hash h4 (a channel binding value). */
  readonly transcriptHash: Uint8Array
}

/**
 * The hybrid KEM used (X-Wing). The operations draw their own randomness: the library then owns and
 * wipes its seeds and coins, which caller-made randomness would leave behind. Injectable so a test
 * can pin randomness for vectors.
 */
export interface HandshakeKem {
  keygen(): { publicKey: Uint8Array; secretKey: Uint8Array }
  encapsulate(publicKey: Uint8Array): { cipherText: Uint8Array; sharedSecret: Uint8Array }
  decapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array
}

/** X-Wing with the decapsulation key kept expanded between M1 and M2 (`xwingKeygenExpanded`). */
export const xwingKem: HandshakeKem = {
  keygen: () => xwingKeygenExpanded(),
  encapsulate: (publicKey) => xwingEncapsulate(publicKey),
  decapsulate: (cipherText, secretKey) => xwingDecapsulateExpanded(cipherText, secretKey),
}

/** What the handshake needs of an identity: its public key and transcript signing. */
export type HandshakeSigner = Pick<Identity, 'publicKey' | 'sign'>

export interface HandshakeInit {
  readonly identity: HandshakeSigner
  /** X-Wing implementation (default: `xwing.ts`, native X25519 with noble's ML-KEM-768). */
  readonly kem?: HandshakeKem
  readonly aead: Aead
  /** Signature backend for verifying the peer (default: the identity package's active backend). */
  readonly backend?: SignatureBackend
  /** Random bytes for the public nonces (default crypto.getRandomValues); injected for test vectors. */
  readonly random?: (length: number) => Uint8Array
  /** Versions to offer (initiator) or accept (responder), best first. */
  readonly versions?: readonly number[]
}

const defaultRandom = (length: number): Uint8Array => globalThis.crypto.getRandomValues(new Uint8Array(length))

function signedBody(role: number, transcript: Uint8Array, publicKey: Uint8Array, addrField: Uint8Array): Uint8Array {
  return concatBytes(new Uint8Array([role]), transcript, publicKey, addrField)
}

function verifyPeer(init: HandshakeInit, where: string, role: number, transcript: Uint8Array,
  payload: { publicKey: Uint8Array; signature: Uint8Array; addrField: Uint8Array }): void {
  const body = signedBody(role, transcript, payload.publicKey, payload.addrField)
  if (!verifySignature(payload.publicKey, DOMAIN.handshake, body, payload.signature, init.backend)) {
    throw new HandshakeError(`${where}: transcript signature does not verify`)
  }
}

function wipe(...buffers: Array<Uint8Array | undefined>): void {
  for (const b of buffers) b?.fill(0)
}

function finish(version: number, ss: Uint8Array, h4: Uint8Array, isInitiator: boolean,
  remote: { publicKey: Uint8Array; observedAddr: string }): HandshakeResult {
  const keys: DirectionalKeys = deriveTrafficKeys(ss, h4)
  wipe(ss)
  return {
    version,
    remotePublicKey: remote.publicKey,
    remotePeer: PeerId.fromPublicKey(remote.publicKey),
    observedAddr: remote.observedAddr,
    sendKey: isInitiator ? keys.initiatorToResponder : keys.responderToInitiator,
    receiveKey: isInitiator ? keys.responderToInitiator : keys.initiatorToResponder,
    transcriptHash: h4,
  }
}

/** Initiator side: `start()` gives M1, `onM2(m2, addr)` checks M2 and gives M3 and the result. */
export class InitiatorHandshake {
  readonly #init: HandshakeInit
  #state: { m1: Uint8Array; decapsKey: Uint8Array; versions: readonly number[] } | undefined
  #done = false

  /** Wipes the ephemeral decapsulation key of a handshake that will not finish (timeout, abort). */
  dispose(): void {
    this.#done = true
    wipe(this.#state?.decapsKey)
  }

  constructor(init: HandshakeInit) { this.#init = init }

  start(): Uint8Array {
    if (this.#state !== undefined) throw new HandshakeError('initiator already started')
    const random = this.#init.random ?? defaultRandom
    const versions = this.#init.versions ?? SUPPORTED_VERSIONS
    const { publicKey, secretKey } = (this.#init.kem ?? xwingKem).keygen()
    const m1 = encodeM1({ versions, ek: publicKey, nonce: random(NONCE_LENGTH) })
    this.#state = { m1, decapsKey: secretKey, versions }
    return m1
  }

  /** `remoteAddr` is the responder's address as we observe it (sent back to it inside M3). */
  onM2(m2: Uint8Array, remoteAddr: string): { m3: Uint8Array; result: HandshakeResult } {
    const state = this.#state
    if (state === undefined || this.#done) throw new HandshakeError('M2 arrived in the wrong state')
    this.#done = true
    let ss: Uint8Array | undefined
    let hsKeys: DirectionalKeys | undefined
    try {
      const { head, headBytes, sealed } = decodeM2(m2)
      if (!state.versions.includes(head.version)) throw new HandshakeError(`M2: version ${head.version} was not offered`)
      try {
        ss = (this.#init.kem ?? xwingKem).decapsulate(head.ct, state.decapsKey)
      } catch {
        throw new HandshakeError('M2: invalid X-Wing ciphertext')
      }
      wipe(state.decapsKey)
      const h1 = transcriptStart(state.m1)
      const h2 = transcriptNext(h1, headBytes)
      hsKeys = deriveHandshakeKeys(ss, h2)
      const opened = this.#init.aead.open(hsKeys.responderToInitiator, ZERO_NONCE, headBytes, sealed)
      if (opened === undefined) throw new HandshakeError('M2: payload failed authentication')
      const responder = decodeIdentityPayload(opened, 'M2')
      verifyPeer(this.#init, 'M2', ROLE_RESPONDER, h2, responder)
      const h3 = transcriptNext(h2, sealed)

      const identity = this.#init.identity
      const addrField = encodeAddrField(remoteAddr)
      const signature = identity.sign(DOMAIN.handshake, signedBody(ROLE_INITIATOR, h3, identity.publicKey, addrField))
      const m3Prefix = new Uint8Array([MSG_M3])
      const m3 = this.#init.aead.seal(hsKeys.initiatorToResponder, ZERO_NONCE, m3Prefix,
        [encodeIdentityPayload(identity.publicKey, signature, addrField)])
      const h4 = transcriptNext(h3, m3.subarray(1))
      return { m3, result: finish(head.version, ss, h4, true, responder) }
    } finally {
      wipe(state.decapsKey, ss, hsKeys?.initiatorToResponder, hsKeys?.responderToInitiator)
    }
  }
}

/** Responder side: `onM1(m1, addr)` gives M2; `onM3(m3)` checks M3 and gives the result. */
export class ResponderHandshake {
  readonly #init: HandshakeInit
  #state: { version: number; ss: Uint8Array; h3: Uint8Array; key: Uint8Array } | undefined
  #stage: 'm1' | 'm3' | 'done' = 'm1'

  constructor(init: HandshakeInit) { this.#init = init }

  /** Wipes the shared secret and handshake key of a handshake that will not finish (timeout, abort). */
  dispose(): void {
    this.#stage = 'done'
    this.#wipeState()
  }

  #wipeState(): void {
    wipe(this.#state?.ss, this.#state?.key)
    this.#state = undefined
  }

  /** `remoteAddr` is the initiator's address as we observe it (sent back to it inside M2). */
  onM1(m1: Uint8Array, remoteAddr: string): Uint8Array {
    if (this.#stage !== 'm1') throw new HandshakeError('M1 arrived in the wrong state')
    this.#stage = 'm3'
    const { versions, ek } = decodeM1(m1)
    const accepted = this.#init.versions ?? SUPPORTED_VERSIONS
    const version = accepted.find((v) => versions.includes(v))
    if (version === undefined) throw new HandshakeError(`M1: no common version (offered ${versions.join(',')})`)
    const random = this.#init.random ?? defaultRandom
    let encapsulated: { cipherText: Uint8Array; sharedSecret: Uint8Array }
    try {
      encapsulated = (this.#init.kem ?? xwingKem).encapsulate(ek)
    } catch {
      throw new HandshakeError('M1: invalid X-Wing encapsulation key')
    }
    let hsKeys: DirectionalKeys | undefined
    try {
      const headBytes = encodeM2Head({ version, ct: encapsulated.cipherText, nonce: random(NONCE_LENGTH) })
      const h2 = transcriptNext(transcriptStart(m1), headBytes)
      hsKeys = deriveHandshakeKeys(encapsulated.sharedSecret, h2)
      const identity = this.#init.identity
      const addrField = encodeAddrField(remoteAddr)
      const signature = identity.sign(DOMAIN.handshake, signedBody(ROLE_RESPONDER, h2, identity.publicKey, addrField))
      const m2 = this.#init.aead.seal(hsKeys.responderToInitiator, ZERO_NONCE, headBytes,
        [encodeIdentityPayload(identity.publicKey, signature, addrField)])
      const h3 = transcriptNext(h2, m2.subarray(headBytes.length))
      this.#state = { version, ss: encapsulated.sharedSecret, h3, key: hsKeys.initiatorToResponder }
      return m2
    } catch (error) {
      wipe(encapsulated.sharedSecret, hsKeys?.initiatorToResponder)
      throw error
    } finally {
      wipe(hsKeys?.responderToInitiator)
    }
  }

  onM3(m3: Uint8Array): HandshakeResult {
    const state = this.#state
    if (this.#stage !== 'm3' || state === undefined) throw new HandshakeError('M3 arrived in the wrong state')
    this.#stage = 'done'
    try {
      const { sealed } = decodeM3(m3)
      const opened = this.#init.aead.open(state.key, ZERO_NONCE, m3.subarray(0, 1), sealed)
      if (opened === undefined) throw new HandshakeError('M3: payload failed authentication')
      const initiator = decodeIdentityPayload(opened, 'M3')
      verifyPeer(this.#init, 'M3', ROLE_INITIATOR, state.h3, initiator)
      const h4 = transcriptNext(state.h3, sealed)
      return finish(state.version, state.ss, h4, false, initiator)
    } finally {
      this.#wipeState()
    }
  }
}
