#!/usr/bin/env node
/**
 * Saorsa Gossip example: post-quantum identities. Generates two ML-DSA-65 (FIPS 204)
 * identities, signs a message with each signature backend, verifies it across backends, and shows
 * that a tampered message or a signature from another peer is rejected. Exits 0 only if every
 * check it prints held.
 */
import { Identity, loadMlDsa65Backend, nobleMlDsa65, verifySignature } from '@saorsa-gossip/identity'
import { DOMAIN, utf8 } from '@saorsa-gossip/types'

const failures = []
const check = (label, ok) => {
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${label}`)
  if (!ok) failures.push(label)
}
const ms = (start) => `${(performance.now() - start).toFixed(1)} ms`

console.log('Saorsa Gossip: post-quantum identities (ML-DSA-65, FIPS 204)\n')
const fast = await loadMlDsa65Backend()
console.log(`signature backends: ${fast.name} (fast) and ${nobleMlDsa65.name} (portable)\n`)

let t = performance.now()
const alice = Identity.generate()
const bob = Identity.generate()
console.log(`generated two identities in ${ms(t)}`)
console.log(`  alice  ${alice.peerId.toHex()}`)
console.log(`  bob    ${bob.peerId.toHex()}`)
console.log(`  public key ${alice.publicKey.length} bytes; PeerId = BLAKE3(public key), 32 bytes\n`)

const message = utf8('hello from alice, signed post-quantum')
const signedBy = {}
for (const backend of [fast, nobleMlDsa65]) {
  const signer = Identity.fromKeys(alice.publicKey, alice.exportSecretKey(), { backend })
  t = performance.now()
  signedBy[backend.name] = signer.sign(DOMAIN.test, message)
  console.log(`alice signs with ${backend.name}: ${signedBy[backend.name].length}-byte signature in ${ms(t)}`)
}
console.log('')
for (const [signerName, signature] of Object.entries(signedBy)) {
  for (const backend of [fast, nobleMlDsa65]) {
    t = performance.now()
    const ok = verifySignature(alice.publicKey, DOMAIN.test, message, signature, backend)
    check(`signature made by ${signerName} verifies with ${backend.name} (${ms(t)})`, ok)
  }
}

const tampered = Uint8Array.from(message)
tampered[0] ^= 0x01
const signature = signedBy[fast.name]
check('a message with one flipped bit is rejected', !verifySignature(alice.publicKey, DOMAIN.test, tampered, signature, fast))
check("alice's signature does not verify under bob's key", !verifySignature(bob.publicKey, DOMAIN.test, message, signature, fast))
check('the signature does not verify for another purpose (domain separation)',
  !verifySignature(alice.publicKey, DOMAIN.pubsubMessage, message, signature, fast))
const flippedSig = Uint8Array.from(signature)
flippedSig[100] ^= 0x80
check('a signature with one flipped bit is rejected', !verifySignature(alice.publicKey, DOMAIN.test, message, flippedSig, nobleMlDsa65))
check('two identities never share a PeerId', !alice.peerId.equals(bob.peerId))

console.log(failures.length === 0 ? '\nall checks held' : `\n${failures.length} check(s) failed`)
process.exit(failures.length === 0 ? 0 : 1)
