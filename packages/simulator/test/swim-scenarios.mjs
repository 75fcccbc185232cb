/**
 * SWIM + Lifeguard scenarios on the deterministic simulator (reliability-anchors section 3.2): crash
 * detection, sustained loss, event-loop stalls with Lifeguard on and off, and refutation. Plain
 * JavaScript over the built packages, so the simulation tests (swim*.sim.test.ts) and the membership
 * benchmark (packages/membership/bench/index.mjs) run the very same code. Every member knows every
 * other member here (SWIM alone on a full member list), latency 10-50 ms per link.
 */
import { Simulator, simPeerId, distribution } from '../dist/index.js'
import { Swim } from '../../membership/dist/proto/swim.js'
import { SWIM_LAN } from '../../membership/dist/proto/swim-config.js'
import { suspicionMinTimeoutMs } from '../../membership/dist/proto/suspicion.js'

/**
 * Wraps a core so a stall ends the way Node's event loop ends one: every overdue timer runs first
 * (timers phase), then the I/O that arrived meanwhile (poll phase). The simulator itself replays a
 * stalled node's backlog in arrival order; this wrapper reorders the replay at `resumeAtMs`.
 */
class TimersFirstAfterStall {
  constructor(inner) {
    this.inner = inner
    this.resumeAtMs = -1
    this.held = []
  }

  handle(input, nowMs, out) {
    if (input.type === 'timer' && input.timer.type === 'flush-held-io') {
      this.resumeAtMs = -1
      const held = this.held
      this.held = []
      for (const h of held) this.inner.handle(h, nowMs, out)
      return
    }
    if (nowMs === this.resumeAtMs && input.type === 'recv') {
      if (this.held.length === 0) out.push({ type: 'schedule', delayMs: 0, timer: { type: 'flush-held-io' } })
      this.held.push(input)
      return
    }
    this.inner.handle(input, nowMs, out)
  }
}

/** Builds `n` SWIM nodes that all know each other. */
export function buildCluster({ n, seed, lossRate = 0, lifeguard = true, config = {} }) {
  const sim = new Simulator({ seed, latencyMs: [10, 50], lossRate, kindOf: (m) => m.type })
  const ids = Array.from({ length: n }, (_, i) => simPeerId(i))
  const swims = new Map()
  const wrappers = new Map()
  const swimConfig = { ...SWIM_LAN, ...config, lifeguard }
  for (const id of ids) {
    const swim = new Swim(id, swimConfig, sim.forkRng(id.toHex()))
    const wrapper = new TimersFirstAfterStall(swim)
    swims.set(id.toHex(), swim)
    wrappers.set(id.toHex(), wrapper)
    sim.addNode(id, wrapper)
  }
  for (const id of ids) for (const other of ids) if (!other.equals(id)) sim.command(id, { type: 'add-member', peer: other })
  return { sim, ids, swims, wrappers, config: swimConfig }
}

/** Stalls `id` for `ms`, ending with overdue timers before queued I/O. */
function stallNode(cluster, id, ms) {
  cluster.sim.stall(id, ms)
  cluster.wrappers.get(id.toHex()).resumeAtMs = cluster.sim.now + ms
}

/**
 * Crashes one member after a warm-up and times the first suspicion anywhere and the moment the last
 * live member marks it dead. One trial per seed.
 */
export async function crashDetection({ n, seeds, lifeguard = true }) {
  const firstSuspicion = []
  const allDead = []
  let falseDeaths = 0
  let suspicionMaxMs = 0
  for (const seed of seeds) {
    const cluster = buildCluster({ n, seed, lifeguard })
    const { sim, ids, swims, config } = cluster
    await sim.runForAsync(20_000 + (seed % 7) * 137)
    const victim = ids[seed % n]
    const crashAt = sim.now
    sim.kill(victim)
    const min = suspicionMinTimeoutMs(config.suspicionAlpha, n, config.probeIntervalMs)
    suspicionMaxMs = lifeguard ? min * config.suspicionBeta : min
    const live = ids.filter((id) => !id.equals(victim))
    const markedDead = () => live.every((id) => swims.get(id.toHex()).member(victim)?.state === 'dead')
    sim.clearEvents()
    await sim.runUntilAsync(markedDead, { timeoutMs: suspicionMaxMs + 30_000, checkEveryMs: 50 })
    const events = sim.events()
    const suspect = events.find((e) => e.event.type === 'member-suspect' && e.event.peer.equals(victim))
    firstSuspicion.push(suspect === undefined ? Infinity : suspect.time - crashAt)
    const deaths = events.filter((e) => e.event.type === 'member-dead' && e.event.peer.equals(victim))
    const lastDeath = live.map((id) => deaths.find((e) => e.node.equals(id))?.time ?? Infinity)
    allDead.push(Math.max(...lastDeath) - crashAt)
    falseDeaths += events.filter((e) => e.event.type === 'member-dead' && !e.event.peer.equals(victim)).length
  }
  return { n, trials: seeds.length, firstSuspicionMs: distribution(firstSuspicion), allDeadMs: distribution(allDead), suspicionMaxMs, falseDeaths }
}

/** Symmetric loss on every link for `durationMs`; nobody crashes, so every death is false. */
export async function sustainedLoss({ n, seed, lossRate, durationMs, lifeguard = true }) {
  const { sim } = buildCluster({ n, seed, lossRate, lifeguard })
  let raised = 0
  let heard = 0
  let deaths = 0
  sim.on('emit', (e) => {
    if (e.event.type === 'member-suspect') {
      heard++
      if (e.event.by.equals(e.node)) raised++
    }
    if (e.event.type === 'member-dead') deaths++
  })
  await sim.runForAsync(durationMs)
  return { n, lossRate, minutes: durationMs / 60_000, suspicionsRaised: raised, suspicionEvents: heard, falseDeaths: deaths }
}

/**
 * Event-loop stalls of 2-5 s, one member at a time, rotating over `stalledMembers` members, with
 * `gapMs` of normal running between episodes. Nobody crashes and links are lossless, so:
 * - a false suspicion is one raised (`by` = the raiser itself) by the member that is stalled in the
 *   current episode, or just resumed from it, about a member that was alive and answering: the stalled
 *   member missed acks only because its own timers ran before the replies queued behind them;
 * - a suspicion raised by any other member against the stalled one is a true detection (the stalled
 *   member did not answer for seconds), reported, not judged;
 * - `otherSuspicions` are suspicions between two members that were both running normally (expected 0);
 * - every `member-dead` event is a false death.
 */
export async function stallEpisodes({ n, seed, episodes, lifeguard, gapMs = [20_000, 40_000], stalledMembers = 1 }) {
  const cluster = buildCluster({ n, seed, lifeguard })
  const { sim, ids } = cluster
  const rng = sim.forkRng('stall-plan')
  let current
  let byStalled = 0
  let againstStalled = 0
  let otherSuspicions = 0
  let falseDeaths = 0
  let deathsOfStalled = 0
  sim.on('emit', (e) => {
    const ev = e.event
    if (ev.type === 'member-suspect' && ev.by.equals(e.node)) {
      if (current !== undefined && e.node.equals(current)) byStalled++
      else if (current !== undefined && ev.peer.equals(current)) againstStalled++
      else otherSuspicions++
    }
    if (ev.type === 'member-dead') {
      falseDeaths++
      if (current !== undefined && ev.peer.equals(current)) deathsOfStalled++
    }
  })
  await sim.runForAsync(20_000)
  let stalledMs = 0
  for (let i = 0; i < episodes; i++) {
    // An episode runs from the start of the stall to the start of the next one.
    current = ids[i % Math.min(stalledMembers, n)]
    const ms = 2000 + rng.nextInt(3001)
    stalledMs += ms
    stallNode(cluster, current, ms)
    await sim.runForAsync(ms + gapMs[0] + rng.nextInt(gapMs[1] - gapMs[0] + 1))
  }
  await sim.runForAsync(60_000)
  return { n, lifeguard, episodes, stalledMs, byStalled, againstStalled, otherSuspicions, suspicions: byStalled + againstStalled, falseDeaths, deathsOfStalled }
}

/** `stallEpisodes` over several seeds, summed, for one Lifeguard setting. */
export async function stallStudy({ n, seeds, episodes, lifeguard, gapMs = [5000, 15000], stalledMembers = 4 }) {
  const total = { n, lifeguard, seeds: seeds.length, stalledMembers, episodes: 0, stalledMs: 0, byStalled: 0, againstStalled: 0, otherSuspicions: 0, falseDeaths: 0, deathsOfStalled: 0 }
  for (const seed of seeds) {
    const r = await stallEpisodes({ n, seed, episodes, lifeguard, gapMs, stalledMembers })
    for (const key of ['episodes', 'stalledMs', 'byStalled', 'againstStalled', 'otherSuspicions', 'falseDeaths', 'deathsOfStalled']) total[key] += r[key]
  }
  return total
}

/**
 * Plants a false suspicion of a live member at one node and times how long until every member holds
 * it alive at a higher incarnation again, in probe periods.
 */
export async function refutation({ n, seeds, lifeguard = true }) {
  const rounds = []
  let deaths = 0
  for (const seed of seeds) {
    const { sim, ids, swims, config } = buildCluster({ n, seed, lifeguard })
    await sim.runForAsync(10_000)
    const accused = ids[1]
    const accuser = ids[2]
    const before = swims.get(accused.toHex()).incarnation
    const start = sim.now
    sim.input(accuser, {
      type: 'recv', from: ids[3],
      msg: { type: 'ack', seq: 0, updates: [{ peer: accused, state: 'suspect', incarnation: before, from: ids[3] }] },
    })
    await sim.runForAsync(1)
    const refuted = () => ids.every((id) => id.equals(accused)
      || (swims.get(id.toHex()).member(accused)?.state === 'alive' && swims.get(id.toHex()).member(accused).incarnation > before))
    await sim.runUntilAsync(refuted, { timeoutMs: 60_000, checkEveryMs: 10 })
    rounds.push((sim.now - start) / config.probeIntervalMs)
    deaths += sim.events().filter((e) => e.event.type === 'member-dead').length
  }
  return { n, trials: seeds.length, roundsToAllAlive: distribution(rounds), falseDeaths: deaths }
}
