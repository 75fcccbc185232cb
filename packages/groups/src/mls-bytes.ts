/**
 * Boundary between untrusted bytes and ts-mls's TLS-presentation decoders (RFC 9420 section 6):
 * every decode must consume the input exactly and never let a ts-mls exception escape untyped.
 */
import { decodeMlsMessage, encodeMlsMessage, type KeyPackage, type MLSMessage, type RatchetTree, type Welcome } from 'ts-mls'
import { decodeRatchetTree, encodeRatchetTree } from 'ts-mls/ratchetTree.js'
import type { GroupError } from './errors.ts'

type ErrorClass = new (message: string, options?: ErrorOptions) => GroupError

/** Runs a ts-mls decoder over all of `bytes`, or throws `Err` naming `what`. */
function decodeExactly<T>(bytes: Uint8Array, what: string, Err: ErrorClass, decode: (b: Uint8Array, o: number) => [T, number] | undefined): T {
  let result: [T, number] | undefined
  try {
    result = decode(bytes, 0)
  } catch (err) {
    throw new Err(`${what}: malformed encoding`, { cause: err })
  }
  if (result === undefined) throw new Err(`${what}: malformed encoding`)
  if (result[1] !== bytes.length) throw new Err(`${what}: ${bytes.length - result[1]} trailing bytes`)
  return result[0]
}

export function decodeMls(bytes: Uint8Array, what: string, Err: ErrorClass): MLSMessage {
  return decodeExactly(bytes, what, Err, decodeMlsMessage)
}

export function decodeKeyPackageMessage(bytes: Uint8Array, Err: ErrorClass): KeyPackage {
  const message = decodeMls(bytes, 'keyPackage', Err)
  if (message.wireformat !== 'mls_key_package') throw new Err(`keyPackage: wire format is ${message.wireformat}`)
  return message.keyPackage
}

export function decodeWelcomeMessage(bytes: Uint8Array, Err: ErrorClass): Welcome {
  const message = decodeMls(bytes, 'welcome', Err)
  if (message.wireformat !== 'mls_welcome') throw new Err(`welcome: wire format is ${message.wireformat}`)
  return message.welcome
}

export function decodeTree(bytes: Uint8Array, Err: ErrorClass): RatchetTree {
  return decodeExactly(bytes, 'ratchetTree', Err, decodeRatchetTree)
}

export function encodeKeyPackageMessage(keyPackage: KeyPackage): Uint8Array {
  return encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage })
}

export function encodeWelcomeMessage(welcome: Welcome): Uint8Array {
  return encodeMlsMessage({ version: 'mls10', wireformat: 'mls_welcome', welcome })
}

export function encodeTree(tree: RatchetTree): Uint8Array {
  return encodeRatchetTree(tree)
}
