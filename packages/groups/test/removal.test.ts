import { describe, expect, it } from 'vitest'
import { fallbackCommitter, removalCommitter } from '../src/proto/committer.ts'
import type { SessionOutput } from '../src/session.ts'
import type { PeerId } from '@saorsa-gossip/types'
import { suiteFor } from './helpers.ts'
import { Net } from './session-harness.ts'

describe('the removal committer rule', () => {
  it.each([
    // removed, members, committer: the member with the lowest common ancestor (smallest XOR)
    [[3], [0, 1, 2, 3], 2],
    [[1], [0, 1, 2, 3], 0],
    [[2], [0, 1, 2, 3], 3],
    [[2], [0, 1, 2], 0],
    [[700], [0, 1, 512, 699, 700, 701], 701],
    [[700], [0, 1, 512, 699, 700], 699],
    [[700], [0, 1, 512, 700], 512],
    [[5, 4], [0, 4, 5, 6, 7], 6],
    [[0], [0], undefined],
    [[], [0, 1], undefined],
  ] as const)('removing %j from %j: leaf %s commits', (removed, members, expected) => {
    expect(removalCommitter(removed, members)).toBe(expected)
  })

  it.each([
    // removed, members, proposer, fallback: the proposer unless it is the one leaving
    [[3], [0, 1, 2, 3], 0, 0],
    [[3], [0, 1, 2, 3], 3, 0],
    [[0], [0, 1, 2, 3], 0, 2],
    [[2], [0, 1, 2, 3], 2, 0],
    [[1], [0, 1], 1, undefined],
  ] as const)('removing %j from %j proposed by %s: leaf %s stands by', (removed, members, proposer, expected) => {
    expect(fallbackCommitter(removed, members, proposer)).toBe(expected)
  })
})

const isFallback = (o: SessionOutput): boolean => o.type === 'schedule' && o.timer.type === 'removal-fallback'

async function groupOfFour() {
  const { net, creator, others } = await Net.groupOfFour(await suiteFor('saorsa'), 60)
  const [b, c, d] = others as [PeerId, PeerId, PeerId]
  // Leaves 0..3 in the order added.
  expect([creator, b, c, d].map((p) => net.session(creator).group.members().find((m) => m.peerId.equals(p))!.leafIndex)).toEqual([0, 1, 2, 3])
  return { net, creator, b, c, d }
}

describe('removals committed by the nearest member', () => {
  it('commits at once when this member is the nearest one', async () => {
    const { net, creator, b } = await groupOfFour()
    expect(net.session(creator).commitsRemovalOf([b])).toBe(true)
    await net.handle(creator, await net.session(creator).propose({ remove: [b] }, net.nowMs))
    await net.settle()
    expect(net.session(b).group.active).toBe(false)
    expect(net.session(creator).group.epoch).toBe(2)
  })

  it('proposes a removal for the nearest member to commit, which every member applies', async () => {
    const { net, creator, c, d } = await groupOfFour()
    const session = net.session(creator)
    expect(session.commitsRemovalOf([d])).toBe(false)
    const outputs = await session.proposeRemoval([d])
    expect(outputs.map((o) => o.type)).toEqual(['publish', 'schedule'])
    expect(outputs[0]).toMatchObject({ payload: { type: 'proposal', epoch: 1 } })
    await net.handle(creator, outputs.filter((o) => !isFallback(o)))
    // Only c, d's neighbour in the tree, answers the proposal with a commit.
    await net.deliver(c)
    const commits = [...net.inbox.values()].flat().filter((m) => m.payload.type === 'commit')
    expect(commits.length).toBeGreaterThan(0)
    expect(commits.every((m) => m.from.equals(c))).toBe(true)
    await net.settle()
    expect(net.session(d).group.active).toBe(false)
    for (const p of [creator, c]) {
      expect(net.session(p).group.epoch).toBe(2)
      expect(net.session(p).group.members()).toHaveLength(3)
    }
    // The check that follows finds d gone and does nothing.
    expect(await session.timer(outputs[1]!.type === 'schedule' ? outputs[1]!.timer : (undefined as never), net.nowMs)).toEqual([])
  })

  it('commits the removal itself when the nearest member stays silent', async () => {
    const { net, creator, b, c, d } = await groupOfFour()
    const outputs = await net.session(creator).proposeRemoval([d])
    await net.handle(creator, outputs.filter((o) => !isFallback(o)))
    net.dropInbox(c)
    await net.deliver(b)
    await net.deliver(d)
    expect(net.session(creator).group.epoch).toBe(1)
    // The fallback check: d is still a member, so the proposer commits its pending proposal.
    const check = outputs.find(isFallback)!
    await net.handle(creator, await net.session(creator).timer(check.type === 'schedule' ? check.timer : (undefined as never), net.nowMs))
    await net.settle()
    expect(net.session(d).group.active).toBe(false)
    expect(net.session(b).group.members()).toHaveLength(3)
    expect(net.session(creator).group.epoch).toBe(2)
  })

  it('does not propose a removal twice, and a commit carries one removal per member', async () => {
    const { net, creator, b, c, d } = await groupOfFour()
    const first = await net.session(creator).proposeRemoval([d])
    const again = await net.session(creator).proposeRemoval([d])
    expect(again.map((o) => o.type)).toEqual(['schedule'])
    // b proposes the same removal too; c receives both and commits one of them.
    const fromB = await net.session(b).proposeRemoval([d])
    await net.handle(creator, first.filter((o) => !isFallback(o)))
    await net.handle(b, fromB.filter((o) => !isFallback(o)))
    await net.settle()
    expect(net.session(d).group.active).toBe(false)
    for (const p of [creator, b, c]) expect(net.session(p).group.epoch).toBe(2)
  })

  it('commits a leave through the member nearest the leaver, with a stand-by if that one is silent', async () => {
    const { net, creator, b, c, d } = await groupOfFour()
    const proposal = await net.session(c).leave()
    await net.handle(c, proposal)
    // d (leaf 3) is nearest to c (leaf 2) and commits; creator (leaf 0) arms the stand-by check.
    net.dropInbox(d)
    await net.deliver(b)
    expect(net.session(b).group.epoch).toBe(1)
    const standBy = await net.session(creator).receive(c, proposal[0]!.type === 'publish' ? proposal[0]!.payload : (undefined as never), net.nowMs)
    expect(standBy.map((o) => o.type)).toEqual(['schedule'])
    await net.handle(creator, standBy)
    net.dropInbox(creator)
    await net.settle()
    expect(net.session(c).group.active).toBe(false)
    for (const p of [creator, b, d]) expect(net.session(p).group.epoch).toBe(2)
  })
})
