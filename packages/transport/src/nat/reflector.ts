/**
 * The reflector role and its client (SPEC.md section 5.10.1): a peer asks over the secure channel,
 * the reflector answers with the address it observed for that connection, signed under its ML-DSA-65
 * key with the request's nonce, so an answer is bound to one question and one reflector (RFC 8489's
 * XOR-MAPPED-ADDRESS idea, here over an authenticated connection).
 */
import { verifySignature, type Identity, type SignatureBackend } from '@saorsa-gossip/identity'
import { bytesEqual, DecodeError, type AbortOptions } from '@saorsa-gossip/types'
import { parseHostPort, type HostPort } from '../address.ts'
import type { MessageProtocol } from '../protocols.ts'
import type { Connection, Transport } from '../types.ts'
import { decodeReflectAnswer, decodeReflectRequest, encodeReflectAnswer, encodeReflectBody, encodeReflectRequest, REFLECT_NONCE_BYTES } from './codec.ts'
import { NatError } from './errors.ts'

export const REFLECT_PROTOCOL: MessageProtocol = Object.freeze({ name: '/saorsa/nat/reflect/1', streamClass: 'mship' })
/** Domain tag of a reflect answer's signature (SPEC.md section 4.3). */
export const REFLECT_DOMAIN = 'saorsa-gossip/nat-reflect/v1'
/**
 * Answers signed per second: an answer costs one ML-DSA-65 signature (about 1 ms with liboqs, 10 ms
 * in pure JS); 50 per second serves a thousand peers probing every 20 s and caps a flood at 5-50% of a core.
 */
export const REFLECT_ANSWERS_PER_SECOND = 50

export interface ReflectorCounters { answered: number; refused: number; malformed: number }

/** Serves the reflector role on `transport` until the returned function is called. */
export function serveReflector(transport: Transport, identity: Identity, clock: () => number = Date.now): { stop(): void; counters: ReflectorCounters } {
  const counters: ReflectorCounters = { answered: 0, refused: 0, malformed: 0 }
  let tokens = REFLECT_ANSWERS_PER_SECOND
  let refilledAt = clock()
  transport.handleDirect(REFLECT_PROTOCOL, (request, context) => {
    let nonce: Uint8Array
    try {
      nonce = decodeReflectRequest(request)
    } catch (error) {
      counters.malformed++
      throw error
    }
    const now = clock()
    tokens = Math.min(REFLECT_ANSWERS_PER_SECOND, tokens + ((now - refilledAt) * REFLECT_ANSWERS_PER_SECOND) / 1000)
    refilledAt = now
    if (tokens < 1) {
      counters.refused++
      throw new NatError('reflector busy')
    }
    tokens -= 1
    const body = encodeReflectBody({ nonce, observed: context.connection.remoteAddr, timestampMs: now })
    counters.answered++
    return encodeReflectAnswer(body, identity.sign(REFLECT_DOMAIN, body))
  })
  return { stop: () => transport.unhandle(REFLECT_PROTOCOL), counters }
}

/**
 * Asks the peer at the other end of `connection` which address it sees for us. Throws NatError when
 * the answer is not signed by that peer or does not echo our nonce, DecodeError when it is malformed.
 */
export async function queryReflector(connection: Connection, options: AbortOptions & { backend?: SignatureBackend; timeoutMs?: number } = {}): Promise<HostPort> {
  const nonce = globalThis.crypto.getRandomValues(new Uint8Array(REFLECT_NONCE_BYTES))
  const response = await connection.request(REFLECT_PROTOCOL, encodeReflectRequest(nonce), {
    ...(options.signal === undefined ? {} : { signal: options.signal }), timeoutMs: options.timeoutMs ?? 5_000,
  })
  const { answer, body, sig } = decodeReflectAnswer(response)
  if (!verifySignature(connection.remotePublicKey, REFLECT_DOMAIN, body, sig, options.backend)) {
    connection.reportInvalid()
    throw new NatError(`reflect answer from ${connection.remotePeer.toShortString()} is not signed by it`)
  }
  if (!bytesEqual(answer.nonce, nonce)) throw new NatError('reflect answer does not echo our nonce')
  try {
    const { host, port } = parseHostPort(answer.observed, 'tcp')
    return { host, port }
  } catch {
    throw new DecodeError(`reflect answer holds no tcp address: "${answer.observed.slice(0, 64)}"`, 'o')
  }
}
