/** One example of every groups wire message, shared by the codec, fuzz and SPEC.md vector tests. */
import { utf8 } from '@saorsa-gossip/types'
import type { GroupsRpcMessage, GroupTopicPayload } from '../src/codec.ts'

const fill = (n: number, b: number): Uint8Array => new Uint8Array(n).fill(b)
export const GROUP_ID = fill(32, 0x11)

export const TOPIC_GOLDEN: Array<[string, GroupTopicPayload]> = [
  ['`msg`', { type: 'message', groupId: GROUP_ID, epoch: 3, nonce: fill(12, 0x22), ciphertext: fill(20, 0x33) }],
  ['`commit` (inline)', { type: 'commit', groupId: GROUP_ID, epoch: 3, parent: fill(32, 0x44), hash: fill(32, 0x55), commit: utf8('mls') }],
  ['`commit` (reference)', { type: 'commit', groupId: GROUP_ID, epoch: 3, parent: fill(32, 0x44), hash: fill(32, 0x55), commit: undefined }],
  ['`prop`', { type: 'proposal', groupId: GROUP_ID, epoch: 3, proposal: utf8('mls') }],
]

export const RPC_GOLDEN: Array<[string, GroupsRpcMessage]> = [
  ['`kpreq`', { type: 'key-package-request', suite: 0xf165 }],
  ['`kp`', { type: 'key-package', keyPackage: utf8('kp') }],
  ['`creq`', { type: 'commits-request', groupId: GROUP_ID, sinceEpoch: 3, hash: fill(32, 0x55) }],
  ['`clog`', { type: 'commits', groupId: GROUP_ID, commits: [{ epoch: 3, parent: fill(32, 0x44), hash: fill(32, 0x55), commit: utf8('mls') }] }],
  ['`welcome`', { type: 'welcome', groupId: GROUP_ID, welcome: utf8('w'), ratchetTree: utf8('t') }],
  ['`ok`', { type: 'ok' }],
  ['`err`', { type: 'error', reason: 'no-key-package' }],
]
