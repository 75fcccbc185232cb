import { describe, expect, it } from 'vitest'
import { toHex } from '@saorsa-gossip/types'
import { MlsGroup } from '../src/group.ts'
import { createKeyPackage, openKeyPackage } from '../src/key-package.ts'
import { SAORSA_SUITE_ID, STANDARD_SUITE } from '../src/suite.ts'
import { buildGroup, identity, NOW, suiteFor } from './helpers.ts'

describe.each(['saorsa', STANDARD_SUITE] as const)('an MLS group on suite %s', (choice) => {
  it('lets invited members join and agree on the exporter, and locks a removed member out', async () => {
    const suite = await suiteFor(choice)
    const { ids, groups } = await buildGroup(suite, 3)
    const [a, b, c] = groups as [MlsGroup, MlsGroup, MlsGroup]
    expect(groups.map((g) => g.epoch)).toEqual([1, 1, 1])
    expect(b.members().map((m) => m.peerId.toHex()).sort()).toEqual(ids.map((i) => i.peerId.toHex()).sort())
    const secrets = await Promise.all(groups.map((g) => g.exportSecret('presence', 32)))
    expect(new Set(secrets.map(toHex)).size).toBe(1)

    const removal = await a.prepareCommit({ remove: [ids[2]!.peerId] })
    expect(removal.removed.map((p) => p.toHex())).toEqual([ids[2]!.peerId.toHex()])
    a.merge(removal)
    const seenByB = await b.processCommit(removal.commit)
    expect(seenByB.removed[0]!.equals(ids[2]!.peerId)).toBe(true)
    const seenByC = await c.processCommit(removal.commit)
    expect(seenByC.removedSelf).toBe(true)
    expect(c.active).toBe(false)
    const [sa, sb] = await Promise.all([a.exportSecret('presence', 32), b.exportSecret('presence', 32)])
    expect(toHex(sa)).toBe(toHex(sb))
    expect(toHex(sa)).not.toBe(toHex(secrets[0]!))
  })

  it('refreshes a member path with an empty commit', async () => {
    const suite = await suiteFor(choice)
    const { groups } = await buildGroup(suite, 2, 20)
    const [a, b] = groups as [MlsGroup, MlsGroup]
    const update = await b.prepareCommit()
    b.merge(update)
    const change = await a.processCommit(update.commit)
    expect(change).toMatchObject({ epoch: 2, added: [], removed: [], removedSelf: false })
    expect(toHex(await a.exportSecret('x', 16))).toBe(toHex(await b.exportSecret('x', 16)))
  })
})

describe('the Saorsa suite', () => {
  it('puts its private-use id on the wire and binds the leaf to the PeerId', async () => {
    const suite = await suiteFor('saorsa')
    const bundle = await createKeyPackage(identity(9), suite, NOW)
    // MLSMessage: version u16 (1), wire format u16 (5 = key package), then KeyPackage: version, suite.
    expect(toHex(bundle.bytes.subarray(0, 8))).toBe(`00010005 0001${SAORSA_SUITE_ID.toString(16)}`.replace(' ', ''))
    const { peerId } = await openKeyPackage(bundle.bytes, suite, NOW)
    expect(peerId.equals(identity(9).peerId)).toBe(true)
  })
})

describe('the Saorsa suite primitives', () => {
  it('compute HKDF-SHA512 and HMAC-SHA512 exactly as the stock WebCrypto implementations do', async () => {
    const { getCiphersuiteFromName, getCiphersuiteImpl } = await import('ts-mls')
    const stock = await getCiphersuiteImpl(getCiphersuiteFromName('MLS_256_MLKEM1024_CHACHA20POLY1305_SHA512_Ed25519'))
    const ours = (await suiteFor('saorsa')).impl
    const salt = Uint8Array.from({ length: 64 }, (_, i) => i)
    const ikm = Uint8Array.from({ length: 77 }, (_, i) => 255 - i)
    for (const s of [salt, new Uint8Array(0)]) expect(toHex(await ours.kdf.extract(s, ikm))).toBe(toHex(await stock.kdf.extract(s, ikm)))
    for (const length of [1, 32, 64, 65, 200]) {
      expect(toHex(await ours.kdf.expand(salt, ikm, length))).toBe(toHex(await stock.kdf.expand(salt, ikm, length)))
    }
    expect(toHex(await ours.hash.mac(salt, ikm))).toBe(toHex(await stock.hash.mac(salt, ikm)))
    expect(toHex(await ours.hash.digest(ikm))).toBe(toHex(await stock.hash.digest(ikm)))
    // Tree-node sized inputs go through the memo: the first and the remembered answer are both SHA-512.
    const node = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) & 0xff)
    for (let k = 0; k < 2; k++) expect(toHex(await ours.hash.digest(node))).toBe(toHex(await stock.hash.digest(node)))
    expect(await ours.hash.verifyMac(salt, await stock.hash.mac(salt, ikm), ikm)).toBe(true)
    expect(await ours.hash.verifyMac(salt, new Uint8Array(64), ikm)).toBe(false)
  })
})

describe('group state size', () => {
  it('stays bounded over many epochs: at most one past epoch of MLS receiver data is kept', async () => {
    const suite = await suiteFor('saorsa')
    const { groups: [a] } = await buildGroup(suite, 2, 30)
    for (let i = 0; i < 6; i++) a!.merge(await a!.prepareCommit())
    expect(a!.state.historicalReceiverData.size).toBe(1)
  })
})
