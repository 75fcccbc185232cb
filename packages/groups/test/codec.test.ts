import { describe, expect, it } from 'vitest'
import { encodeCbor } from '@saorsa-gossip/types'
import {
  decodeGroupsRpc, decodeGroupTopicPayload, encodeGroupsRpc, encodeGroupTopicPayload, MAX_COMMITS_PER_ANSWER,
  MAX_INLINE_COMMIT_BYTES, MAX_TOPIC_PAYLOAD_BYTES,
} from '../src/codec.ts'
import { GROUP_ID, RPC_GOLDEN, TOPIC_GOLDEN } from './codec-fixtures.ts'

describe('the groups codec', () => {
  it.each(TOPIC_GOLDEN)('round-trips a %s topic payload', (_name, msg) => {
    expect(decodeGroupTopicPayload(encodeGroupTopicPayload(msg))).toEqual(msg)
  })

  it.each(RPC_GOLDEN)('round-trips a %s request or answer', (_name, msg) => {
    expect(decodeGroupsRpc(encodeGroupsRpc(msg))).toEqual(msg)
  })

  it('rejects oversized inputs, over-long lists, unknown kinds and wrong field sizes with DecodeError', () => {
    const reject = (f: () => unknown): void => { expect(f).toThrow(expect.objectContaining({ name: 'DecodeError' })) }
    reject(() => decodeGroupTopicPayload(new Uint8Array(MAX_TOPIC_PAYLOAD_BYTES + 1)))
    reject(() => decodeGroupTopicPayload(encodeCbor({ k: 'commit', g: GROUP_ID, e: 1, p: new Uint8Array(32), h: new Uint8Array(32), m: new Uint8Array(MAX_INLINE_COMMIT_BYTES + 1) })))
    reject(() => decodeGroupTopicPayload(encodeCbor({ k: 'msg', g: GROUP_ID, e: 1, n: new Uint8Array(11), c: new Uint8Array(16) })))
    reject(() => decodeGroupTopicPayload(encodeCbor({ k: 'msg', g: new Uint8Array(65), e: 1, n: new Uint8Array(12), c: new Uint8Array(16) })))
    reject(() => decodeGroupTopicPayload(encodeCbor({ k: 'nope' })))
    const commit = { e: 1, p: new Uint8Array(32), h: new Uint8Array(32), m: new Uint8Array(1) }
    reject(() => decodeGroupsRpc(encodeCbor({ k: 'clog', g: GROUP_ID, c: Array.from({ length: MAX_COMMITS_PER_ANSWER + 1 }, () => commit) })))
    reject(() => decodeGroupsRpc(encodeGroupsRpc({ type: 'key-package', keyPackage: new Uint8Array(100) }), 50))
    reject(() => decodeGroupsRpc(encodeCbor({ k: 'kpreq', s: 0x10000 })))
  })
})
