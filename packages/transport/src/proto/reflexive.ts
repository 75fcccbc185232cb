/**
 * Reflexive address and NAT class (SPEC.md section 5.10.1), a sans-IO core. Reflectors report the
 * address they observed for one of our local ports; a mapping is adopted once `agreement` distinct
 * reflectors report it, and the NAT's mapping behaviour (RFC 4787 section 4.1, tested as in RFC 5780
 * section 4.3) is classified by comparing what reflectors on different addresses saw for one port.
 */
import type { NatClass, ReflectConfig } from './nat-config.ts'

export interface Observation {
  /** The reflector's PeerId (hex): agreement counts distinct identities, not addresses. */
  readonly reflector: string
  /** The reflector's own address we dialled (`host:port` part decides the classification). */
  readonly via: { readonly host: string; readonly port: number }
  /** Our local port the observation is about. */
  readonly localPort: number
  /** What the reflector saw: our public host and port for that local port. */
  readonly observed: { readonly host: string; readonly port: number }
}

export type ReflexiveInput =
  | { readonly type: 'observed'; readonly observation: Observation }
  /** A reflector went away or lied to us: its observations no longer count. */
  | { readonly type: 'forget'; readonly reflector: string }

export interface ReflexiveState {
  /** The adopted public address of the probe port, `host` and `port`, or undefined. */
  readonly reflexive: { readonly host: string; readonly port: number; readonly localPort: number } | undefined
  readonly nat: NatClass
}

export type ReflexiveOutput = { readonly type: 'emit'; readonly event: { readonly type: 'changed' } & ReflexiveState }

interface Entry { readonly observation: Observation; readonly atMs: number }

const sameHostPort = (a: { host: string; port: number }, b: { host: string; port: number }): boolean => a.host === b.host && a.port === b.port

export class ReflexiveCore {
  readonly #config: ReflectConfig
  readonly #entries = new Map<string, Entry>()
  #state: ReflexiveState = { reflexive: undefined, nat: 'unknown' }

  constructor(config: ReflectConfig) {
    this.#config = config
  }

  get state(): ReflexiveState { return this.#state }

  handle(input: ReflexiveInput, nowMs: number, out: ReflexiveOutput[]): void {
    if (input.type === 'forget') {
      for (const [key, entry] of this.#entries) if (entry.observation.reflector === input.reflector) this.#entries.delete(key)
    } else {
      const o = input.observation
      const key = `${o.reflector}|${o.via.host}|${o.via.port}|${o.localPort}`
      this.#entries.delete(key)
      this.#entries.set(key, { observation: o, atMs: nowMs })
      while (this.#entries.size > this.#config.maxObservations) this.#entries.delete(this.#entries.keys().next().value!)
    }
    this.#recompute(nowMs, out)
  }

  #recompute(nowMs: number, out: ReflexiveOutput[]): void {
    for (const [key, entry] of this.#entries) if (nowMs - entry.atMs > this.#config.observationTtlMs) this.#entries.delete(key)
    const live = [...this.#entries.values()].map((e) => e.observation)
    const next: ReflexiveState = { reflexive: this.#adopt(live), nat: classify(live) }
    const before = this.#state
    const same = before.nat === next.nat && (before.reflexive === undefined ? next.reflexive === undefined
      : next.reflexive !== undefined && sameHostPort(before.reflexive, next.reflexive) && before.reflexive.localPort === next.reflexive.localPort)
    if (same) return
    this.#state = next
    out.push({ type: 'emit', event: { type: 'changed', ...next } })
  }

  /** The mapping the most distinct reflectors agree on (at least `agreement`); newest wins a tie. */
  #adopt(live: Observation[]): ReflexiveState['reflexive'] {
    const votes = new Map<string, { reflectors: Set<string>; o: Observation; order: number }>()
    live.forEach((o, order) => {
      const key = `${o.localPort}|${o.observed.host}|${o.observed.port}`
      const vote = votes.get(key) ?? { reflectors: new Set<string>(), o, order }
      vote.reflectors.add(o.reflector)
      vote.order = order
      votes.set(key, vote)
    })
    let best: { reflectors: Set<string>; o: Observation; order: number } | undefined
    for (const vote of votes.values()) {
      if (vote.reflectors.size < this.#config.agreement) continue
      if (best === undefined || vote.reflectors.size > best.reflectors.size || (vote.reflectors.size === best.reflectors.size && vote.order > best.order)) best = vote
    }
    return best === undefined ? undefined : { host: best.o.observed.host, port: best.o.observed.port, localPort: best.o.localPort }
  }
}

/**
 * RFC 4787 mapping behaviour from observations of one local port: the same mapping towards
 * different destination hosts is endpoint-independent ('eim'); a mapping that changes with the
 * destination host is 'edm'; one that changes even between two ports of one host is 'symmetric'
 * (address-and-port-dependent). Without two destination hosts for one port it stays 'unknown'.
 */
export function classify(live: readonly Observation[]): NatClass {
  let differentHosts = false
  let changesWithHost = false
  let changesWithPort = false
  for (let i = 0; i < live.length; i++) {
    for (let j = i + 1; j < live.length; j++) {
      const a = live[i]!
      const b = live[j]!
      if (a.localPort !== b.localPort || sameHostPort(a.via, b.via)) continue
      const differs = !sameHostPort(a.observed, b.observed)
      if (a.via.host === b.via.host) {
        if (differs) changesWithPort = true
      } else {
        differentHosts = true
        if (differs) changesWithHost = true
      }
    }
  }
  if (changesWithPort) return 'symmetric'
  if (changesWithHost) return 'edm'
  return differentHosts ? 'eim' : 'unknown'
}
