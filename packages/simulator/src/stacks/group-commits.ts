/**
 * MLS commit convergence on the shipped stack: the members of one group on a PubSubNetwork
 * (HyParView + SWIM under Plumtree, node presets) with message loss, each running the groups layer's
 * commit-ordering core (`CommitLog`, SPEC.md 10.6) on its group topic. Catch-up fetches travel as
 * direct requests with the simulator's latency range and loss rate (not its partitions: scenarios fetch
 * only after healing). MLS itself is replaced by its effect
 * on the log: applying a commit takes `applyMs` of virtual time (the measured CPU cost of processing
 * one) and leads to the epoch id BLAKE3(parent || hash), the same on every member, as MLS guarantees.
 */
import {
  CommitLog, COMMIT_LOG_LAN, decodeGroupTopicPayload, encodeGroupTopicPayload, groupTopic, MAX_COMMITS_PER_ANSWER,
  type CommitAnnouncement, type CommitLogConfig, type CommitLogInput, type CommitLogOutput,
} from '@saorsa-gossip/groups'
import { concatBytes, payloadHash as blake3, toHex, type PeerId, type SeededRng } from '@saorsa-gossip/types'
import { PubSubNetwork, type PubSubNetworkInit } from './pubsub-network.ts'

export interface GroupCommitInit extends PubSubNetworkInit {
  /** Virtual time a member spends applying a commit (MLS processing), default 0. */
  readonly applyMs?: number
  readonly commitLog?: CommitLogConfig
}

interface Member {
  readonly id: PeerId
  readonly log: CommitLog
}

export class GroupCommitNetwork {
  readonly net: PubSubNetwork
  readonly groupId: Uint8Array
  readonly members = new Map<string, Member>()
  /** Epoch number of every epoch id seen, by id hex (ids are the same on every member). */
  readonly #epochs = new Map<string, number>()
  readonly #rng: SeededRng
  readonly #applyMs: number
  readonly #latency: readonly [number, number]
  #lossRate: number
  /** Catch-up requests sent, and those lost (request or answer). */
  fetches = 0
  lostFetches = 0
  readonly dropped = new Map<string, number>()

  constructor(init: GroupCommitInit) {
    this.net = new PubSubNetwork(init)
    this.#rng = this.net.sim.forkRng('group-commits')
    this.#applyMs = init.applyMs ?? 0
    this.#latency = init.latencyMs ?? [10, 50]
    this.#lossRate = init.lossRate ?? 0
    this.groupId = this.#rng.fill(new Uint8Array(32))
    const genesis = blake3(concatBytes(this.groupId, new Uint8Array([0])))
    this.#epochs.set(toHex(genesis), 0)
    for (const id of this.net.ids) this.members.set(id.toHex(), { id, log: new CommitLog(init.commitLog ?? COMMIT_LOG_LAN, 0, genesis) })
    this.net.sim.on('emit', (e) => {
      if (e.event.layer !== 'pubsub' || e.event.event.type !== 'message') return
      const delivery = e.event.event.delivery
      if (!delivery.topic.equals(this.topic)) return
      const payload = decodeGroupTopicPayload(delivery.payload)
      if (payload.type !== 'commit') return
      const msg: CommitAnnouncement = { epoch: payload.epoch, parent: payload.parent, hash: payload.hash, commit: payload.commit }
      this.#handle(this.members.get(e.node.toHex())!, { type: 'recv', from: delivery.origin, msg })
    })
  }

  /** Loss on every link from now on, pubsub and catch-up requests alike. */
  setLossRate(rate: number): void {
    this.net.sim.setLossRate(rate)
    this.#lossRate = rate
  }

  get topic() {
    return groupTopic(this.groupId)
  }

  /** Every member joins the group topic. */
  joinTopic(): void {
    this.net.join(this.topic)
  }

  /** `from` commits on its current epoch a commit of `bytes` random bytes; returns its hash. */
  commit(from: PeerId, bytes: number): Uint8Array {
    const member = this.members.get(from.toHex())!
    const commit = this.#rng.fill(new Uint8Array(bytes))
    const announcement = { epoch: member.log.epoch, parent: member.log.epochId, hash: blake3(commit), commit }
    this.#handle(member, { type: 'command', command: { type: 'propose', announcement } })
    this.net.publish(from, this.topic, encodeGroupTopicPayload({ type: 'commit', groupId: this.groupId, ...announcement }))
    return announcement.hash
  }

  epochOf(id: PeerId): { epoch: number; epochId: string } {
    const log = this.members.get(id.toHex())!.log
    return { epoch: log.epoch, epochId: toHex(log.epochId) }
  }

  /** True when every member is in the same epoch `epoch`. */
  converged(epoch: number): boolean {
    let id: string | undefined
    for (const m of this.members.values()) {
      if (m.log.epoch !== epoch) return false
      const here = toHex(m.log.epochId)
      if (id !== undefined && here !== id) return false
      id = here
    }
    return true
  }

  #delay(): number {
    const [lo, hi] = this.#latency
    return lo + this.#rng.nextFloat() * (hi - lo)
  }

  #handle(member: Member, input: CommitLogInput): void {
    const out: CommitLogOutput[] = []
    member.log.handle(input, this.net.sim.now, out)
    const sim = this.net.sim
    for (const o of out) {
      if (o.type === 'schedule') {
        sim.at(sim.now + o.delayMs, () => this.#handle(member, { type: 'timer', timer: o.timer }))
        continue
      }
      if (o.type !== 'emit') continue
      const event = o.event
      switch (event.type) {
        case 'apply': {
          const parent = event.rollbackTo ?? member.log.epochId
          const epoch = this.#epochs.get(toHex(parent))! + 1
          const epochId = blake3(concatBytes(parent, event.hash))
          this.#epochs.set(toHex(epochId), epoch)
          sim.at(sim.now + this.#applyMs, () => this.#handle(member, { type: 'command', command: { type: 'applied', hash: event.hash, epoch, epochId } }))
          break
        }
        case 'fetch':
          this.#fetch(member, event.peer, event.sinceEpoch)
          break
        case 'dropped':
          this.dropped.set(event.reason, (this.dropped.get(event.reason) ?? 0) + 1)
          break
        case 'lost':
          break
      }
    }
  }

  /** A direct request and its answer, each lost with the network's loss rate (the log retries on its timer). */
  #fetch(member: Member, peer: PeerId, sinceEpoch: number): void {
    this.fetches++
    const sim = this.net.sim
    if (this.#rng.nextFloat() < this.#lossRate) {
      this.lostFetches++
      return
    }
    sim.at(sim.now + this.#delay(), () => {
      // Commits here are inline (under MAX_INLINE_COMMIT_BYTES), so no fetch names a referenced hash.
      const served: CommitAnnouncement[] = this.members.get(peer.toHex())!.log.commitsSince(sinceEpoch, MAX_COMMITS_PER_ANSWER)
      if (this.#rng.nextFloat() < this.#lossRate) {
        this.lostFetches++
        return
      }
      sim.at(sim.now + this.#delay(), () => {
        for (const msg of served) this.#handle(member, { type: 'recv', from: peer, msg })
      })
    })
  }
}
