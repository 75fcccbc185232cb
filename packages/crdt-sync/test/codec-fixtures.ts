/**
 * One fixed example of every crdt-sync message kind, CRDT payload and store record (the golden
 * vectors of SPEC.md section 12.6), for the vector, round-trip and fuzz tests.
 */
import { TopicId, toHex } from '@saorsa-gossip/types'
import type { SealedFrame, SyncChannel, SyncFrame, StoreRecord } from '../src/codec.ts'
import { CausalContext } from '../src/proto/causal-context.ts'
import { LwwMap } from '../src/proto/lww.ts'
import { OrSet } from '../src/proto/or-set.ts'
import { PnCounter } from '../src/proto/pn-counter.ts'
import { encodeLwwMap, encodeOrSet, encodePnCounter } from '../src/docs/payload-codec.ts'

export const DOC = TopicId.fromName('crdt/spec-vectors')
const A = '11'.repeat(32)
const B = '22'.repeat(32)

const orSetDelta = OrSet.fromParts([['x', [{ replica: A, counter: 3 }]]], CausalContext.of([{ replica: A, counter: 3 }, { replica: B, counter: 1 }]))
const lwwDelta = LwwMap.fromRegisters([['title', { stamp: { wall: 1_700_000_000_000, logical: 2, replica: A }, value: 'hello' }], ['gone', { stamp: { wall: 1_700_000_000_000, logical: 0, replica: B } }]])
const counterDelta = PnCounter.fromEntries([[A, { increments: 5, decrements: 2 }]])

export const PAYLOADS = {
  'OR-Set delta (add x at dot A:3 superseding B:1)': encodeOrSet(orSetDelta),
  'LWW map delta (title set, gone deleted)': encodeLwwMap(lwwDelta),
  'PN-counter delta (A: +5 -2)': encodePnCounter(counterDelta),
} as const

const bundle = { cover: [[A, 4, 5] as const], deps: [[B, 9] as const], payload: PAYLOADS['PN-counter delta (A: +5 -2)'] }

export const GOLDEN: ReadonlyArray<readonly [string, SyncChannel, SyncFrame]> = [
  ['`delta`', 'topic', { doc: DOC, msg: { type: 'delta', bundle } }],
  ['`summary`', 'request', { doc: DOC, msg: { type: 'summary', digest: new Uint8Array(16).fill(0xab), entries: 2 } }],
  ['`want`', 'request', { doc: DOC, msg: { type: 'want', vv: [[A, 4], [B, 9]] } }],
  ['`bundles`', 'request', { doc: DOC, msg: { type: 'bundles', bundles: [{ cover: [[A, 0, 5], [B, 2, 9]], deps: [], payload: new Uint8Array([1, 2, 3]) }] } }],
  ['`snapshot`', 'bulk', { doc: DOC, msg: { type: 'snapshot', vv: [[A, 5]], state: new Uint8Array([4, 5, 6]) } }],
]

export const RECORDS: ReadonlyArray<readonly [string, StoreRecord]> = [
  ['store record `b`', { type: 'bundle', bundle }],
  ['store record `s`', { type: 'snapshot', vv: [[A, 5], [B, 9]], state: new Uint8Array([7, 8]) }],
]

export const hex = toHex

/** A sealed frame's layout (its bytes are not a real ciphertext: the vector fixes the encoding). */
export const SEALED: readonly [string, SealedFrame] = ['`sealed`', {
  doc: DOC, sealed: { epoch: 3, nonce: new Uint8Array(12).fill(0x0c), ciphertext: new Uint8Array(20).fill(0xee) },
}]
