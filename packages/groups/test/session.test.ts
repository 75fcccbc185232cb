import { describe, expect, it } from 'vitest'
import { toHex, utf8 } from '@saorsa-gossip/types'
import type { GroupTopicPayload } from '../src/codec.ts'
import { suiteFor } from './helpers.ts'
import { Net } from './session-harness.ts'

type Message = GroupTopicPayload & { type: 'message' }

async function groupOfFour() {
  return Net.groupOfFour(await suiteFor('saorsa'), 40)
}

describe('group sessions over an in-memory network', () => {
  it('resolve two concurrent commits in one epoch to the same winner on every member, and tell the author of the losing one', async () => {
    const { net, creator, others } = await groupOfFour()
    const [b, c, d] = others as [typeof creator, typeof creator, typeof creator]
    expect([creator, b, c, d].map((p) => net.session(p).group.epoch)).toEqual([1, 1, 1, 1])
    // b and c both commit on epoch 1; members see them in opposite orders.
    await net.handle(b, await net.session(b).propose({}, net.nowMs))
    await net.handle(c, await net.session(c).propose({}, net.nowMs))
    await net.settle()
    const ids = [creator, b, c, d].map((p) => toHex(net.session(p).epochId))
    expect(new Set(ids).size).toBe(1)
    expect([creator, b, c, d].map((p) => net.session(p).group.epoch)).toEqual([2, 2, 2, 2])
    const losers = [...net.lost.values()].flat()
    expect(losers).toHaveLength(1)
  })

  it('hides later messages from a removed member while members still read what was sent in the earlier epoch', async () => {
    const { net, creator, others } = await groupOfFour()
    const [b, c] = others as [typeof creator, typeof creator]
    const early = net.session(b).seal(utf8('epoch 1 message')) as Message
    await net.handle(creator, await net.session(creator).propose({ remove: [c] }, net.nowMs))
    await net.settle()
    expect(net.session(c).group.active).toBe(false)
    const late = net.session(b).seal(utf8('epoch 2 message')) as Message
    expect(late.epoch).toBe(2)
    expect(new TextDecoder().decode(net.session(creator).open(late, b, net.nowMs))).toBe('epoch 2 message')
    expect(() => net.session(c).open(late, b, net.nowMs)).toThrow(expect.objectContaining({ name: 'GroupMessageError' }))
    // Members still read epoch 1 traffic that arrives late, within the grace window.
    expect(new TextDecoder().decode(net.session(creator).open(early, b, net.nowMs + 1_000))).toBe('epoch 1 message')
    expect(() => net.session(creator).open(early, b, net.nowMs + 200_000)).toThrow(expect.objectContaining({ name: 'GroupMessageError' }))
    // The origin is part of the key: a member cannot pass its message off as another's.
    expect(() => net.session(creator).open(late, c, net.nowMs)).toThrow(expect.objectContaining({ name: 'GroupMessageError' }))
  })

  it('brings a member that missed commits up to date by fetching them', async () => {
    const { net, creator, others } = await groupOfFour()
    const [b, , d] = others as [typeof creator, typeof creator, typeof creator]
    for (let i = 0; i < 3; i++) {
      await net.handle(b, await net.session(b).propose({}, net.nowMs))
      net.dropInbox(d)
      await net.settle()
    }
    expect(net.session(d).group.epoch).toBe(1)
    expect(net.session(creator).group.epoch).toBe(4)
    // The next commit tells d it is behind; it fetches what it missed from the sender.
    await net.handle(creator, await net.session(creator).propose({}, net.nowMs))
    await net.settle()
    expect(net.session(d).group.epoch).toBe(5)
    expect(toHex(net.session(d).epochId)).toBe(toHex(net.session(creator).epochId))
  })

  it('removes a member that leaves, through a commit by the member nearest it in the tree', async () => {
    const { net, creator, others } = await groupOfFour()
    const [b, c] = others as [typeof creator, typeof creator]
    await net.handle(c, await net.session(c).leave())
    await net.settle()
    expect(net.session(c).group.active).toBe(false)
    expect(net.session(b).group.members().map((m) => m.peerId.toHex())).not.toContain(c.toHex())
    expect(net.session(creator).group.epoch).toBe(2)
  })

  it('validates group-topic payloads before they travel: a forged message or mismatched commit is rejected', async () => {
    const { net, creator, others } = await groupOfFour()
    const [b] = others as [typeof creator]
    const sealed = net.session(b).seal(utf8('hi')) as Message
    expect(net.session(creator).validate(sealed, b, net.nowMs)).toBe('accept')
    expect(net.session(creator).validate(sealed, creator, net.nowMs)).toBe('reject')
    const tampered = { ...sealed, ciphertext: sealed.ciphertext.map((x, i) => (i === 0 ? x ^ 1 : x)) }
    expect(net.session(creator).validate(tampered, b, net.nowMs)).toBe('reject')
    expect(net.session(creator).validate({ ...sealed, epoch: 9 }, b, net.nowMs)).toBe('ignore')
    const commit = { type: 'commit' as const, groupId: sealed.groupId, epoch: 1, parent: new Uint8Array(32), hash: new Uint8Array(32), commit: utf8('x') }
    expect(net.session(creator).validate(commit, b, net.nowMs)).toBe('reject')
    expect(net.session(creator).validate({ ...sealed, groupId: new Uint8Array(32) }, b, net.nowMs)).toBe('reject')
  })

  it('announces a commit too large for the topic by reference, and members fetch it from its author', async () => {
    const { net, creator, others } = await groupOfFour()
    const newcomers = await Promise.all([50, 51, 52, 53, 54, 55].map((n) => net.newcomer(n)))
    const outputs = await net.session(creator).propose({ add: await net.keyPackages(newcomers.map((n) => n.keyPackage)) }, net.nowMs)
    const announced = outputs.find((o) => o.type === 'publish')
    expect(announced).toMatchObject({ payload: { type: 'commit', commit: undefined } })
    await net.handle(creator, outputs)
    await net.settle()
    for (const peer of [creator, ...others, ...newcomers.map((n) => n.peer)]) expect(net.session(peer).group.epoch).toBe(2)
    expect(net.session(others[0]!).group.members()).toHaveLength(10)
  })
})
