import { describe, it, expect, beforeAll } from 'vitest'
import { readFileSync } from 'node:fs'
import { blake3 } from '@noble/hashes/blake3.js'
import { ml_kem768_x25519 } from '@noble/post-quantum/hybrid.js'
import { bytesEqual, fromHex, SeededRng, toHex, utf8 } from '@saorsa-gossip/types'
import { loadAead, nobleAead, type Aead } from '../src/channel/aead.ts'
import { XWING_CT_BYTES, XWING_EK_BYTES } from '../src/channel/messages.ts'
import { deriveHandshakeKeys, deriveTrafficKeys, nextKey, transcriptNext, transcriptStart } from '../src/channel/kdf.ts'
import { MAX_RECORD_PLAINTEXT, RecordOpener, RecordSealer, REKEY_CEILING } from '../src/channel/records.ts'
import { directFrame, DIRECT_TYPE, refusalCode } from '../src/direct/wire.ts'
import { frame, FRAME_KIND, parseFrames, prefixedFrame, type OutFrame } from '../src/frames.ts'
import { encodeProtocolName, PROTOCOL_CODES } from '../src/protocols.ts'

let fast: Aead
beforeAll(async () => { fast = await loadAead() })

const key = (b: number) => new Uint8Array(32).fill(b)
const rng = new SeededRng('channel')

function sealMany(aead: Aead, count: number, policy = { records: 4, bytes: 1 << 30 }) {
  const sealer = new RecordSealer(aead, key(9), policy)
  const plaintexts = Array.from({ length: count }, (_, i) => rng.fill(new Uint8Array(1 + ((i * 7919) % 5000))))
  return { plaintexts, records: plaintexts.map((p) => sealer.seal([p])) }
}

function openAll(records: Uint8Array[], aead: Aead = fast): Uint8Array[] {
  const opener = new RecordOpener(aead, key(9))
  const out: Uint8Array[] = []
  for (const r of records) opener.push(r, (p) => out.push(p.slice()))
  return out
}

describe('AEAD implementations', () => {
  it('selects node:crypto in Node', () => {
    expect(fast.name).toBe('node')
  })

  it('produce byte-identical records and open each other\'s, across sizes and pieces', () => {
    for (const size of [0, 1, 15, 16, 63, 64, 65, 1000, 65_536, MAX_RECORD_PLAINTEXT]) {
      const k = rng.fill(new Uint8Array(32))
      const nonce = rng.fill(new Uint8Array(12))
      const prefix = rng.fill(new Uint8Array(4))
      const data = rng.fill(new Uint8Array(size))
      const pieces = [data.subarray(0, size >> 1), data.subarray(size >> 1)]
      const a = fast.seal(k, nonce, prefix, pieces)
      const b = nobleAead.seal(k, nonce, prefix, [data])
      expect(toHex(a)).toBe(toHex(b))
      expect(bytesEqual(nobleAead.open(k, nonce, prefix, a.subarray(4))!, data)).toBe(true)
      expect(bytesEqual(fast.open(k, nonce, prefix, b.subarray(4))!, data)).toBe(true)
    }
  })

  it('return undefined (never throw) for a wrong key, a wrong AAD or a too-short input', () => {
    for (const aead of [fast, nobleAead]) {
      const sealed = aead.seal(key(1), new Uint8Array(12), new Uint8Array(4), [utf8('x')]).subarray(4)
      expect(aead.open(key(2), new Uint8Array(12), new Uint8Array(4), sealed)).toBeUndefined()
      expect(aead.open(key(1), new Uint8Array(12), new Uint8Array([1, 0, 0, 0]), sealed)).toBeUndefined()
      expect(aead.open(key(1), new Uint8Array(12), new Uint8Array(4), sealed.subarray(0, 5))).toBeUndefined()
    }
  })
})

describe('record layer', () => {
  it('round-trips records through arbitrary chunk boundaries while rekeying every 4 records', () => {
    const { plaintexts, records } = sealMany(fast, 50)
    const stream = new Uint8Array(records.reduce((n, r) => n + r.length, 0))
    let off = 0
    for (const r of records) { stream.set(r, off); off += r.length }
    const opener = new RecordOpener(nobleAead, key(9))
    const out: Uint8Array[] = []
    for (let i = 0; i < stream.length;) {
      const n = 1 + rng.nextInt(3000)
      opener.push(stream.subarray(i, i + n), (p) => out.push(p.slice()))
      i += n
    }
    expect(out.length).toBe(50)
    out.forEach((p, i) => expect(bytesEqual(p, plaintexts[i]!)).toBe(true))
    expect(opener.epoch).toBe(12)
  })

  it('follows the sender\'s key updates by the phase bit, whatever the sender\'s local policy', () => {
    for (const policy of [{ records: 1, bytes: 1 << 30 }, { records: 3, bytes: 1 << 30 }, { records: 1 << 20, bytes: 2500 }]) {
      const sealer = new RecordSealer(fast, key(9), policy)
      const opener = new RecordOpener(fast, key(9))
      const sent = Array.from({ length: 20 }, (_, i) => rng.fill(new Uint8Array(500 + i)))
      const got: Uint8Array[] = []
      for (const p of sent) opener.push(sealer.seal([p]), (q) => got.push(q.slice()))
      expect(got.length).toBe(20)
      got.forEach((p, i) => expect(bytesEqual(p, sent[i]!)).toBe(true))
      // The sender moves on right after the record that used up its key; the receiver follows on the next record.
      expect(sealer.epoch - opener.epoch).toBe(sealer.epoch > 0 && policy.records === 1 ? 1 : sealer.epoch - opener.epoch)
      expect(opener.epoch).toBeGreaterThan(0)
      expect(sealer.epoch - opener.epoch).toBeLessThanOrEqual(1)
    }
  })

  it('fails closed on a forged phase bit (an update the sender did not make, or a hidden one)', () => {
    const { records } = sealMany(fast, 6)
    for (const index of [0, 2, 4]) {
      const forged = records.map((r) => r.slice())
      forged[index]![0]! ^= 0x80
      expect(() => openAll(forged), `record ${index}`).toThrow(expect.objectContaining({ name: 'RecordAuthError' }))
    }
  })

  it('refuses a local rekey policy beyond the protocol ceiling', () => {
    expect(() => new RecordSealer(fast, key(9), { records: REKEY_CEILING.records + 1, bytes: 1 << 20 })).toThrow(RangeError)
    expect(() => new RecordSealer(fast, key(9), { records: 10, bytes: REKEY_CEILING.bytes + 1 })).toThrow(RangeError)
    expect(() => new RecordSealer(fast, key(9), { records: 0, bytes: 10 })).toThrow(RangeError)
  })

  it('rekeys on the byte budget too', () => {
    const sealer = new RecordSealer(fast, key(9), { records: 1 << 20, bytes: 3000 })
    for (let i = 0; i < 5; i++) sealer.seal([new Uint8Array(1000)])
    expect(sealer.epoch).toBe(1)
  })

  it('fails closed with RecordAuthError on any flipped bit of any record byte', () => {
    const { records } = sealMany(fast, 3)
    const target = records[1]!
    for (let i = 4; i < target.length; i++) {
      const tampered = records.map((r) => r.slice())
      tampered[1]![i]! ^= 1 << (i % 8)
      expect(() => openAll(tampered), `byte ${i}`).toThrow(expect.objectContaining({ name: 'RecordAuthError' }))
    }
  })

  it('fails closed on a changed length field, before allocating for it', () => {
    const { records } = sealMany(fast, 1)
    const big = records[0]!.slice()
    big.set([0xff, 0xff, 0xff, 0xff], 0)
    expect(() => openAll([big])).toThrow(expect.objectContaining({ name: 'RecordAuthError', message: expect.stringContaining('outside') }))
    const short = records[0]!.slice()
    short.set([0, 0, 0, 3], 0)
    expect(() => openAll([short])).toThrow(expect.objectContaining({ name: 'RecordAuthError' }))
    const off = records[0]!.slice()
    off[3] = off[3]! - 1
    expect(() => openAll([off])).toThrow(expect.objectContaining({ name: 'RecordAuthError' }))
  })

  it('rejects replayed, reordered and dropped records, and keeps failing after the first failure', () => {
    const { records } = sealMany(fast, 4)
    const [r0, r1, r2, r3] = records as [Uint8Array, Uint8Array, Uint8Array, Uint8Array]
    expect(() => openAll([r0, r0])).toThrow(expect.objectContaining({ name: 'RecordAuthError' }))
    expect(() => openAll([r0, r2, r1])).toThrow(expect.objectContaining({ name: 'RecordAuthError' }))
    expect(() => openAll([r0, r1, r3])).toThrow(expect.objectContaining({ name: 'RecordAuthError' }))
    const opener = new RecordOpener(fast, key(9))
    expect(() => opener.push(r1, () => {})).toThrow(expect.objectContaining({ name: 'RecordAuthError' }))
    expect(() => opener.push(r0, () => {})).toThrow(expect.objectContaining({ name: 'RecordAuthError' }))
  })

  it('rejects records sealed under a different key', () => {
    const { records } = sealMany(fast, 1)
    const opener = new RecordOpener(fast, key(8))
    expect(() => opener.push(records[0]!, () => {})).toThrow(expect.objectContaining({ name: 'RecordAuthError' }))
  })

  it('reports a partially received record so a cut stream counts as truncation', () => {
    const { records } = sealMany(fast, 1)
    const opener = new RecordOpener(fast, key(9))
    opener.push(records[0]!.subarray(0, 10), () => {})
    expect(opener.midRecord).toBe(true)
  })
})

describe('frames', () => {
  it('reject unknown kinds, over-cap bodies and frames cut by the record end with FrameError', () => {
    const ok = frame(FRAME_KIND.mship, utf8('hi'))
    const plain = new Uint8Array([...ok.header, ...ok.body])
    const kinds: number[] = []
    parseFrames(plain, (k) => kinds.push(k))
    expect(kinds).toEqual([FRAME_KIND.mship])
    const cases = [
      new Uint8Array([0, 0, 0, 0, 0x7f]),
      // One byte over the mship cap (65,536 + 65 bytes of name prefix).
      new Uint8Array([0, 1, 0, 0x42, FRAME_KIND.mship]),
      new Uint8Array([0, 0, 0, 9, FRAME_KIND.ping, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
      plain.subarray(0, 6),
      plain.subarray(0, 3),
      new Uint8Array(0),
    ]
    for (const c of cases) expect(() => parseFrames(c, () => {})).toThrow(expect.objectContaining({ name: 'FrameError' }))
  })
})

function frameHex(f: OutFrame): string {
  return toHex(f.header) + toHex(f.body)
}

describe('golden vectors (SPEC.md section 5)', () => {
  const spec = readFileSync(new URL('../../../SPEC.md', import.meta.url), 'utf8')
  const section = spec.slice(spec.indexOf('## 5. Transport'), spec.indexOf('## 6.'))
  const fill = (b: number) => new Uint8Array(32).fill(b)
  const hk = deriveHandshakeKeys(fill(0x11), fill(0x22))
  const tk = deriveTrafficKeys(fill(0x11), fill(0x44))
  // The record layer owns (and wipes) the keys it is given: it gets copies.
  const sealer = new RecordSealer(nobleAead, tk.initiatorToResponder.slice(), { records: 1, bytes: 1 << 30 })
  const xwingKeys = ml_kem768_x25519.keygen(fill(0x55))
  const xwingSent = ml_kem768_x25519.encapsulate(xwingKeys.publicKey, new Uint8Array(64).fill(0x66))
  const hello = frame(FRAME_KIND.mship, utf8('hello'))
  const vectors: Record<string, string> = {
    'xwing-ek-hash': toHex(blake3(xwingKeys.publicKey)),
    'xwing-ct-hash': toHex(blake3(xwingSent.cipherText)),
    'xwing-ss': toHex(xwingSent.sharedSecret),
    'transcript-start': toHex(transcriptStart(utf8('abc'))),
    'transcript-next': toHex(transcriptNext(transcriptStart(utf8('abc')), new Uint8Array([1]))),
    'handshake-i2r': toHex(hk.initiatorToResponder),
    'handshake-r2i': toHex(hk.responderToInitiator),
    'traffic-i2r': toHex(tk.initiatorToResponder),
    'traffic-r2i': toHex(tk.responderToInitiator),
    'rekey-traffic-i2r': toHex(nextKey(tk.initiatorToResponder)),
    'record-0': toHex(sealer.seal([hello.header, hello.body])),
    'record-1': toHex(sealer.seal([hello.header, hello.body])),
    'frame-message': frameHex(prefixedFrame(FRAME_KIND.mship, encodeProtocolName('/saorsa/membership/1'), utf8('hi'))),
    'frame-message-named': frameHex(prefixedFrame(FRAME_KIND.mship, encodeProtocolName('/x/echo/1'), utf8('hi'))),
    'frame-request': frameHex(directFrame('pubsub', '/x/echo/1', DIRECT_TYPE.request, 7, utf8('ping'))),
    'frame-refusal': frameHex(directFrame('pubsub', '/x/echo/1', DIRECT_TYPE.refusal, 7, new Uint8Array([refusalCode('no-handler')]))),
    'frame-stream-open': frameHex(frame(FRAME_KIND.streamOpen, new Uint8Array([0, 0, 0, 1, ...encodeProtocolName('/x/snap/1')]))),
    'frame-stream-data': frameHex(prefixedFrame(FRAME_KIND.streamData, new Uint8Array([0, 0, 0, 1]), utf8('abc'))),
    'frame-stream-credit': frameHex(frame(FRAME_KIND.streamCredit, new Uint8Array([0, 0, 0, 1, 0, 4, 0, 0]))),
  }

  for (const [name, hex] of Object.entries(vectors)) {
    it(`matches the ${name} vector written in the spec`, () => {
      const match = new RegExp(`\\| ${name} \\| \`([0-9a-f]+)\` \\|`).exec(section)
      expect(match?.[1]).toBe(hex)
    })
  }

  it('lists exactly the one-byte protocol codes the transport assigns (section 5.9)', () => {
    const rows = [...section.matchAll(/\| `(\/saorsa\/[^`]+)` \| (\d+) \(`0x([0-9a-f]{2})`\) \|/g)]
    expect(rows.map((r) => r[1])).toEqual([...PROTOCOL_CODES])
    rows.forEach((r, i) => { expect(Number(r[2])).toBe(i); expect(parseInt(r[3]!, 16)).toBe(0x80 | i) })
  })

  it('decapsulates the X-Wing vector to the same shared secret, with the sizes section 5.2 states', () => {
    expect(xwingKeys.publicKey.length).toBe(XWING_EK_BYTES)
    expect(xwingSent.cipherText.length).toBe(XWING_CT_BYTES)
    expect(toHex(ml_kem768_x25519.decapsulate(xwingSent.cipherText, xwingKeys.secretKey))).toBe(vectors['xwing-ss'])
  })

  it('opens the spec record vectors with the spec traffic key', () => {
    const opener = new RecordOpener(fast, tk.initiatorToResponder.slice())
    const out: string[] = []
    opener.push(fromHex(vectors['record-0']! + vectors['record-1']!), (p) => parseFrames(p, (_k, b) => out.push(new TextDecoder().decode(b))))
    expect(out).toEqual(['hello', 'hello'])
  })
})
