import { describe, expect, it } from 'vitest'
import { blake3 } from '@noble/hashes/blake3.js'
import { compareBytes, concatBytes, PeerId, toHex, utf8 } from '@saorsa-gossip/types'
import { COMMIT_LOG_LAN } from '../src/proto/config.ts'
import { CommitLog, type CommitAnnouncement, type CommitLogOutput } from '../src/proto/commit-log.ts'

const genesis: Uint8Array = blake3(utf8('genesis'))
const peer = (n: number): PeerId => PeerId.fromPublicKey(new Uint8Array([n]))

/** A commit on `parent` (its epoch id) at `epoch`; the next epoch id is a hash of both, as MLS transcript hashes are. */
function commit(label: string, epoch: number, parent: Uint8Array): CommitAnnouncement {
  const bytes = utf8(label)
  return { epoch, parent, hash: blake3(bytes), commit: bytes }
}
const childOf = (c: CommitAnnouncement): Uint8Array => blake3(concatBytes(c.parent, c.hash))

/** A member: its core plus a stand-in for the MLS state (the applied chain), driven synchronously. */
class Member {
  readonly log = new CommitLog(COMMIT_LOG_LAN, 0, genesis)
  readonly applied: string[] = []
  readonly lost: string[] = []
  readonly fetches: Array<{ peer: PeerId; sinceEpoch: number }> = []
  readonly timers: Array<{ delayMs: number; timer: unknown }> = []
  #known = new Map<string, CommitAnnouncement>()

  feed(c: CommitAnnouncement, from = peer(9)): void {
    this.#known.set(toHex(c.hash), c)
    this.#run({ type: 'recv', from, msg: c })
  }

  propose(c: CommitAnnouncement): void {
    this.#known.set(toHex(c.hash), c)
    this.#run({ type: 'command', command: { type: 'propose', announcement: c } })
  }

  fireTimers(): void {
    const due = this.timers.splice(0)
    for (const t of due) this.#run({ type: 'timer', timer: t.timer as never })
  }

  #run(input: Parameters<CommitLog['handle']>[0]): void {
    const out: CommitLogOutput[] = []
    this.log.handle(input, 0, out)
    for (const o of out) {
      if (o.type === 'schedule') { this.timers.push({ delayMs: o.delayMs, timer: o.timer }); continue }
      if (o.type !== 'emit') continue
      const e = o.event
      if (e.type === 'fetch') this.fetches.push({ peer: e.peer, sinceEpoch: e.sinceEpoch })
      else if (e.type === 'lost') this.lost.push(toHex(e.hash))
      else if (e.type === 'apply') {
        if (e.rollbackTo !== undefined) {
          while (this.applied.length > 0 && toHex(this.#epochIdAfter(this.applied.length)) !== toHex(e.rollbackTo)) this.applied.pop()
        }
        const c = this.#known.get(toHex(e.hash))!
        this.applied.push(toHex(e.hash))
        this.#run({ type: 'command', command: { type: 'applied', hash: e.hash, epoch: c.epoch + 1, epochId: childOf(c) } })
      }
    }
  }

  #epochIdAfter(n: number): Uint8Array {
    let id: Uint8Array = genesis
    for (const h of this.applied.slice(0, n)) id = childOf(this.#known.get(h)!)
    return id
  }
}

describe('the commit log', () => {
  const x = commit('commit x', 0, genesis)
  const y = commit('commit y', 0, genesis)
  const [low, high] = compareBytes(x.hash, y.hash) < 0 ? [x, y] : [y, x]

  it('waits for the settle window, then every member applies the lowest hash whatever the arrival order', () => {
    const members = [new Member(), new Member(), new Member()]
    members[0]!.propose(high)
    members[0]!.feed(low)
    members[1]!.feed(low)
    members[1]!.feed(high)
    members[2]!.propose(low)
    members[2]!.feed(high)
    expect(members.map((m) => m.applied)).toEqual([[], [], []])
    expect(members[0]!.timers).toEqual([{ delayMs: COMMIT_LOG_LAN.settleMs, timer: { type: 'settle', parent: toHex(genesis) } }])
    for (const m of members) m.fireTimers()
    expect(members.map((m) => m.applied)).toEqual([[toHex(low.hash)], [toHex(low.hash)], [toHex(low.hash)]])
    expect(members[0]!.lost).toEqual([toHex(high.hash)])
    expect(members.map((m) => m.log.epoch)).toEqual([1, 1, 1])
  })

  it('rolls back when a lower hash arrives after the window, and drops the commits built on the losing branch', () => {
    const late = new Member()
    late.propose(high)
    late.fireTimers()
    expect(late.applied).toEqual([toHex(high.hash)])
    const onHigh = commit('built on high', 1, childOf(high))
    late.feed(onHigh)
    late.fireTimers()
    expect(late.applied).toEqual([toHex(high.hash), toHex(onHigh.hash)])
    late.feed(low)
    expect(late.applied).toEqual([toHex(low.hash)])
    expect(late.lost).toEqual([toHex(high.hash)])
    expect(late.log.epoch).toBe(1)
    expect(toHex(late.log.epochId)).toBe(toHex(childOf(low)))
  })

  it('rejects replays and stale commits without changing the chain', () => {
    const m = new Member()
    m.feed(low)
    m.fireTimers()
    const out: CommitLogOutput[] = []
    m.log.handle({ type: 'recv', from: peer(1), msg: low }, 0, out)
    expect(out).toEqual([{ type: 'emit', event: { type: 'dropped', reason: 'duplicate', from: peer(1) } }])
    expect(m.applied).toEqual([toHex(low.hash)])
  })

  it('lets a member that missed commits fetch them and catch up waiting only on the newest epoch', () => {
    const ahead = new Member()
    let parent: Uint8Array = genesis
    const chain: CommitAnnouncement[] = []
    for (let epoch = 0; epoch < 5; epoch++) {
      const c = commit(`epoch ${epoch}`, epoch, parent)
      chain.push(c)
      ahead.feed(c)
      ahead.fireTimers()
      parent = childOf(c)
    }
    expect(ahead.log.epoch).toBe(5)
    const behind = new Member()
    behind.feed(chain[4]!, peer(3))
    expect(behind.fetches).toEqual([{ peer: peer(3), sinceEpoch: 0 }])
    for (const served of ahead.log.commitsSince(0, 64)) behind.feed({ ...served }, peer(3))
    // Epochs the group has already left are applied at once; only the newest one waits for competitors.
    expect(behind.applied).toEqual(chain.slice(0, 4).map((c) => toHex(c.hash)))
    behind.fireTimers()
    expect(behind.applied).toEqual(chain.map((c) => toHex(c.hash)))
    expect(behind.log.epoch).toBe(5)
  })

  it('treats a rejected commit as absent and takes the next lowest', () => {
    const m = new Member()
    m.feed(low)
    m.feed(high)
    const out: CommitLogOutput[] = []
    m.log.handle({ type: 'timer', timer: { type: 'settle', parent: toHex(genesis) } }, 0, out)
    expect(out.find((o) => o.type === 'emit' && o.event.type === 'apply')).toMatchObject({ event: { hash: low.hash } })
    const next: CommitLogOutput[] = []
    m.log.handle({ type: 'command', command: { type: 'rejected', hash: low.hash } }, 0, next)
    expect(next.find((o) => o.type === 'emit' && o.event.type === 'apply')).toMatchObject({ event: { hash: high.hash } })
  })
})
