import { describe, it, expect, afterEach } from 'vitest'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MessageId, PeerId } from '@saorsa-gossip/types'
import { groupsControlMethods, groupTopicName } from '../src/control/methods/groups.ts'
import { checkGroupName, GroupNamesError, namesById, readGroupNames, resolveGroupArg, setGroupName } from '../src/cli/group-names.ts'

// The groups control methods refuse bad parameters by name before touching the node, and the CLI's
// local group names survive rewrites and refuse damaged files instead of forgetting them.

const methods = groupsControlMethods({} as never)
const GROUP = 'ab'.repeat(32)
const PEER = 'cd'.repeat(32)

describe('groups control methods: parameters', () => {
  const refuses = (method: string, params: Record<string, unknown>, pattern: RegExp) => {
    let error: unknown
    try {
      methods[method]!.parse(params, 7)
    } catch (err) {
      error = err
    }
    expect((error as Error | undefined)?.name).toBe('BadRequest')
    expect((error as Error).message).toMatch(pattern)
  }

  it('accepts well-formed parameters', () => {
    expect(methods['groups.invite']!.parse({ group: GROUP.slice(0, 8), peer: PEER }, 1)).toMatchObject({ group: GROUP.slice(0, 8), peer: PEER })
    expect(methods['groups.send']!.parse({ group: GROUP, payload: Buffer.from('hi').toString('base64') }, 1)).toMatchObject({ payload: new Uint8Array([104, 105]) })
    expect(methods['groups.remove']!.parse({ group: GROUP, peer: PEER, waitMs: 0 }, 1)).toMatchObject({ waitMs: 0 })
  })

  it('names the parameter it refuses', () => {
    refuses('groups.members', { group: 'abc' }, /params\.group/)
    refuses('groups.members', { group: 'AB'.repeat(8) }, /params\.group/)
    refuses('groups.members', { group: 'ab'.repeat(65) }, /params\.group/)
    refuses('groups.invite', { group: GROUP, peer: 'cd'.repeat(31) }, /params\.peer/)
    refuses('groups.invite', { group: GROUP, peer: PEER, keyPackage: 'not base64!' }, /params\.keyPackage/)
    refuses('groups.remove', { group: GROUP, peer: PEER, waitMs: -1 }, /params\.waitMs/)
    refuses('groups.send', { group: GROUP, payload: Buffer.alloc(70_000).toString('base64') }, /params\.payload/)
    refuses('groups.create', { name: 'x' }, /unknown parameter 'name'/)
    refuses('groups.listen', { group: GROUP, extra: 1 }, /unknown parameter 'extra'/)
    refuses('groups.publish', { group: GROUP, payload: Buffer.alloc(65_281).toString('base64') }, /params\.payload/)
    refuses('groups.publish', { group: GROUP, topic: 'chat', payload: 'aGk=' }, /unknown parameter 'topic'/)
    refuses('groups.subscribe', { group: 'team' }, /params\.group/)
  })
})

describe('groups.publish and groups.subscribe: the plain pubsub shapes plus group and epoch', () => {
  const other = 'ef'.repeat(32)
  const alice = PeerId.fromPublicKey(new Uint8Array([1]))
  const relay = PeerId.fromPublicKey(new Uint8Array([2]))
  const messageId = MessageId.fromBytes(new Uint8Array(32).fill(9))
  const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'))
  const fakeNode = () => {
    const groups = Object.assign(new EventTarget(), {
      sent: [] as string[],
      list: () => [hex(GROUP), hex(other)],
      epoch: () => 4,
      send: async (groupId: Uint8Array, data: Uint8Array) => {
        groups.sent.push(`${Buffer.from(groupId).toString('hex').slice(0, 4)} ${Buffer.from(data).toString()}`)
        return { epoch: 4, messageId, sentTo: 2 }
      },
    })
    return { groups, node: Object.assign(new EventTarget(), { groups }) }
  }
  const message = (groupId: string, text: string, epoch: number) => new CustomEvent('group:message', {
    detail: { groupId: hex(groupId), from: alice, data: Buffer.from(text), epoch, delivery: { messageId, from: relay, hops: 2, seq: 7, timestampMs: 1_000 } },
  })

  it('publishes through the group layer and answers { topic, id, sentTo } plus group and epoch', async () => {
    const { groups, node } = fakeNode()
    const m = groupsControlMethods(node as never)
    const params = m['groups.publish']!.parse({ group: GROUP.slice(0, 8), payload: Buffer.from('hi').toString('base64') }, 1)
    expect(await m['groups.publish']!.run!(params, new AbortController().signal)).toEqual({
      topic: `saorsa-gossip/group/v1/${GROUP}`, id: messageId.toHex(), sentTo: 2, group: GROUP, epoch: 4,
    })
    expect(groups.sent).toEqual(['abab hi'])
    expect(groupTopicName(hex(GROUP))).toBe(`saorsa-gossip/group/v1/${GROUP}`)
  })

  it('refuses a group this node is not a member of with UnknownGroupError', async () => {
    const { node } = fakeNode()
    const m = groupsControlMethods(node as never)
    const params = m['groups.publish']!.parse({ group: 'cd'.repeat(32), payload: 'aGk=' }, 1)
    await expect(m['groups.publish']!.run!(params, new AbortController().signal)).rejects.toMatchObject({ name: 'UnknownGroupError' })
    expect(() => m['groups.subscribe']!.stream!({ group: 'cd'.repeat(32) }, new AbortController().signal)).toThrow(expect.objectContaining({ name: 'UnknownGroupError' }))
  })

  it('streams the group\'s decrypted messages as pubsub message events, and ends when the node leaves the group', async () => {
    const { groups, node } = fakeNode()
    const m = groupsControlMethods(node as never)
    const events = m['groups.subscribe']!.stream!({ group: GROUP }, new AbortController().signal)[Symbol.asyncIterator]()
    const first = events.next()
    groups.dispatchEvent(message(other, 'not ours', 4))
    groups.dispatchEvent(message(GROUP, 'hello', 3))
    expect((await first).value).toEqual({
      topic: `saorsa-gossip/group/v1/${GROUP}`, id: messageId.toHex(), origin: alice.toHex(), from: relay.toHex(), hops: 2, seq: 7,
      timestampMs: 1_000, payload: Buffer.from('hello').toString('base64'), group: GROUP, epoch: 3,
    })
    const end = events.next()
    groups.dispatchEvent(new CustomEvent('group:removed', { detail: { groupId: hex(GROUP) } }))
    expect(await end).toEqual({ done: true, value: undefined })
  })
})

describe('local group names', () => {
  const homes: string[] = []
  afterEach(async () => {
    for (const h of homes.splice(0)) await rm(h, { recursive: true, force: true })
  })
  const file = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sg-names-'))
    homes.push(dir)
    return join(dir, 'group-names.json')
  }

  it('names groups, resolves names, ids and prefixes, and moves a reused name', async () => {
    const path = await file()
    expect(await readGroupNames(path)).toEqual(new Map())
    await setGroupName(path, 'team', GROUP)
    await setGroupName(path, 'ops', 'ef'.repeat(32))
    expect(await resolveGroupArg(path, 'team')).toBe(GROUP)
    expect(await resolveGroupArg(path, GROUP.slice(0, 10))).toBe(GROUP.slice(0, 10))
    await expect(resolveGroupArg(path, 'nobody')).rejects.toThrow(/neither a group name/)
    await expect(resolveGroupArg(path, 'abc')).rejects.toThrow(/at least 8 hex digits/)
    await setGroupName(path, 'team', 'ef'.repeat(32))
    expect((await namesById(path)).get('ef'.repeat(32))).toBe('ops')
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ ops: 'ef'.repeat(32), team: 'ef'.repeat(32) })
  })

  it('refuses names that look like options, paths or id prefixes', () => {
    for (const bad of ['-x', '../up', 'deadbeef', '', 'a'.repeat(65), 'with space']) expect(() => checkGroupName(bad)).toThrow(/group name/)
    expect(checkGroupName('team-1.b_c')).toBe('team-1.b_c')
  })

  it('reports a damaged names file instead of starting over', async () => {
    const path = await file()
    await writeFile(path, '{"team": 42}')
    await expect(readGroupNames(path)).rejects.toBeInstanceOf(GroupNamesError)
    await writeFile(path, 'not json')
    await expect(setGroupName(path, 'team', GROUP)).rejects.toBeInstanceOf(GroupNamesError)
    expect(await readFile(path, 'utf8')).toBe('not json')
  })
})
