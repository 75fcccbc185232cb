/**
 * The NAT lab (SPEC.md section 5.10): network namespaces joined by a bridge, a public
 * segment with a coordinator that is reflector and relay (198.51.100.10) and a second reflector
 * (.11), and five private hosts, each behind its own NAT router: port-preserving masquerade that
 * drops unsolicited SYNs (h1, h2), the same answering them with a RST (h3, h4), and random port
 * mapping (h5, symmetric). Needs root, iproute2 and nftables: on CI it fails loudly without them,
 * elsewhere it skips with the reason. Every namespace carries a per-run prefix and is deleted after.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const AGENT = fileURLToPath(new URL('./fixtures/nat-agent.mjs', import.meta.url))
const PREFIX = `nl${randomBytes(3).toString('hex')}`
const ns = (name: string): string => `${PREFIX}-${name}`
const PROFILES = { 1: 'drop', 2: 'drop', 3: 'rst', 4: 'rst', 5: 'random' } as const
const HOSTS = [1, 2, 3, 4, 5] as const
const COORDINATOR = 'tcp://198.51.100.10:4000'
const REFLECTOR_2 = 'tcp://198.51.100.11:4000'
/**
 * Trials per port-preserving profile, each asserted >= 95%: 50 (the figure), or as many as fit
 * in 40 s and never fewer than 20. The lab runs as its own vitest project after every other one, alone
 * on the machine, where all 50 fit: the drop profile took 3-10 s, the RST profile 25 s (trials of
 * 0.14-0.8 s, mostly re-dials). Beside a CPU-bound process they take several times longer.
 * `NAT_LAB_TRIALS` / `NAT_LAB_MIN_TRIALS` / `NAT_LAB_TRIAL_BUDGET_MS` trade trials for time by hand.
 * Punching runs with the defaults (SPEC.md section 5.10.3): a failed punch takes 3 attempts of 3 s.
 */
const TRIALS = Number(process.env['NAT_LAB_TRIALS'] ?? 50)
const MIN_TRIALS = Math.min(Number(process.env['NAT_LAB_MIN_TRIALS'] ?? 20), TRIALS)
const TRIAL_BUDGET_MS = Number(process.env['NAT_LAB_TRIAL_BUDGET_MS'] ?? 40_000)
function labProblem(): string | undefined {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`
  if (process.getuid?.() !== 0) return 'not root (network namespaces and nftables need CAP_NET_ADMIN)'
  for (const [tool, flag] of [['ip', '-V'], ['nft', '--version']] as const) {
    try { execFileSync(tool, [flag], { stdio: 'ignore' }) } catch { return `${tool} is not installed (apt-get install iproute2 nftables conntrack)` }
  }
  try {
    execFileSync('ip', ['netns', 'add', ns('check')], { stdio: 'pipe' })
    execFileSync('ip', ['netns', 'del', ns('check')], { stdio: 'pipe' })
  } catch (error) {
    return `the kernel refused a network namespace: ${(error as Error).message.split('\n')[0]}`
  }
  return undefined
}

const problem = labProblem()
if (problem !== undefined && process.env['CI'] === undefined) console.log(`nat-lab: skipped: ${problem}`)

function routerRules(profile: 'drop' | 'rst' | 'random'): string {
  const masquerade = profile === 'random' ? 'masquerade fully-random' : 'masquerade'
  const input = profile === 'rst' ? '' : '\n  chain in { type filter hook input priority 0; iifname "eth0" ct state new drop; }'
  return `table ip natlab {\n  chain post { type nat hook postrouting priority srcnat; oifname "eth0" ${masquerade}; }${input}\n}`
}

function up(): void {
  const hub = ns('hub')
  const pub = ns('pub')
  const lines = [
    'set -e',
    `ip netns add ${hub}`, `ip -n ${hub} link set lo up`, `ip -n ${hub} link add br0 type bridge stp_state 0`, `ip -n ${hub} link set br0 up`,
    `ip netns add ${pub}`, `ip -n ${pub} link set lo up`,
    `ip link add eth0 netns ${pub} type veth peer name p-pub netns ${hub}`, `ip -n ${hub} link set p-pub master br0 up`,
    `ip -n ${pub} addr add 198.51.100.10/24 dev eth0`, `ip -n ${pub} addr add 198.51.100.11/24 dev eth0`, `ip -n ${pub} link set eth0 up`,
  ]
  for (const n of HOSTS) {
    const nat = ns(`nat${n}`)
    const host = ns(`h${n}`)
    lines.push(
      `ip netns add ${nat}`, `ip -n ${nat} link set lo up`,
      `ip link add eth0 netns ${nat} type veth peer name p-nat${n} netns ${hub}`, `ip -n ${hub} link set p-nat${n} master br0 up`,
      `ip -n ${nat} addr add 198.51.100.${n}/24 dev eth0`, `ip -n ${nat} link set eth0 up`,
      `ip netns add ${host}`, `ip -n ${host} link set lo up`,
      `ip link add eth0 netns ${host} type veth peer name lan0 netns ${nat}`,
      `ip -n ${nat} addr add 10.77.${n}.1/24 dev lan0`, `ip -n ${nat} link set lan0 up`,
      `ip -n ${host} addr add 10.77.${n}.10/24 dev eth0`, `ip -n ${host} link set eth0 up`, `ip -n ${host} route add default via 10.77.${n}.1`,
      `ip netns exec ${nat} sysctl -qw net.ipv4.ip_forward=1`,
      `ip netns exec ${nat} nft -f - <<'RULES'\n${routerRules(PROFILES[n])}\nRULES`,
    )
  }
  execFileSync('bash', ['-c', lines.join('\n')], { stdio: 'pipe' })
}

function ourNamespaces(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(`${PREFIX}-`))
}

/** Kills whatever still runs inside our namespaces, then deletes them (a namespace with a process in it outlives `del`). */
function down(): void {
  for (const name of ourNamespaces()) {
    const pids = execFileSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).split('\n').filter((p) => p !== '')
    for (const pid of pids) { try { process.kill(Number(pid), 'SIGKILL') } catch { /* already gone */ } }
    try { execFileSync('ip', ['netns', 'del', name], { stdio: 'pipe' }) } catch { /* retried by the assertion below */ }
  }
}

type Json = Record<string, any>

/** The first of `promises` to resolve with a value, or undefined once all resolved without one. */
function firstDefined<T>(promises: Array<Promise<T | undefined>>): Promise<T | undefined> {
  return new Promise((resolve) => {
    let pending = promises.length
    for (const p of promises) void p.then((v) => { if (v !== undefined) resolve(v); else if (--pending === 0) resolve(undefined) })
  })
}

class Agent {
  readonly child: ChildProcess
  readonly events: Json[] = []
  readonly #pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>()
  readonly #waiters = new Set<() => void>()
  #next = 1
  stderr = ''
  readonly exited: Promise<void>

  constructor(readonly name: string) {
    // Each host is a machine of its own: host n runs on CPU n mod the count, above normal priority. Through
    // a router that answers unsolicited SYNs with a RST, two SYNs cross only when both leave within one
    // one-way delay (about 10 us here) of each other; two hosts time-sharing one core, as a CPU-bound
    // neighbour on a 2-core machine makes them, never send at the same instant, and punching failed in
    // whole trials (4 of 6 runs beside a CPU-bound process fell under 95 %, down to 16/20; 50/50 with this placement).
    this.child = spawn('nice', ['-n', '-10', 'taskset', '-c', String(Number(/\d+$/.exec(name)?.[0] ?? 0) % cpus().length), 'ip', 'netns', 'exec', ns(name), process.execPath, AGENT], { stdio: ['pipe', 'pipe', 'pipe'] })
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()))
    let buffer = ''
    this.child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8')
      let at: number
      while ((at = buffer.indexOf('\n')) >= 0) {
        const line = JSON.parse(buffer.slice(0, at)) as Json
        buffer = buffer.slice(at + 1)
        if (line['id'] !== undefined) {
          const p = this.#pending.get(line['id'])
          this.#pending.delete(line['id'])
          if (line['ok'] === true) p?.resolve(line['result'])
          else p?.reject(new Error(`${this.name}: ${String(line['error'])}`))
        } else {
          this.events.push(line)
          for (const w of [...this.#waiters]) w()
        }
      }
    })
    this.child.stderr!.on('data', (chunk: Buffer) => { this.stderr = (this.stderr + chunk.toString('utf8')).slice(-4000) })
  }

  call(cmd: string, args: Json = {}, timeoutMs = 20_000): Promise<any> {
    const id = this.#next++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.#pending.delete(id); reject(new Error(`${this.name}: ${cmd} timed out; stderr: ${this.stderr}`)) }, timeoutMs)
      this.#pending.set(id, { resolve: (v) => { clearTimeout(timer); resolve(v) }, reject: (e) => { clearTimeout(timer); reject(e) } })
      this.child.stdin!.write(`${JSON.stringify({ id, cmd, args })}\n`)
    })
  }

  /** The first event from index `from` on that matches, waiting up to `timeoutMs`. */
  waitEvent(from: number, match: (e: Json) => boolean, timeoutMs: number): Promise<Json | undefined> {
    return new Promise((resolve) => {
      const check = (): boolean => {
        const found = this.events.slice(from).find(match)
        if (found === undefined) return false
        this.#waiters.delete(waiter)
        clearTimeout(timer)
        resolve(found)
        return true
      }
      const waiter = (): void => { check() }
      const timer = setTimeout(() => { this.#waiters.delete(waiter); resolve(undefined) }, timeoutMs)
      this.#waiters.add(waiter)
      check()
    })
  }

  async stop(): Promise<void> {
    await this.call('stop', {}, 3_000).catch(() => {})
    this.child.kill('SIGKILL')
    await this.exited
  }
}

describe.skipIf(problem !== undefined && process.env['CI'] === undefined)('NAT lab in network namespaces', () => {
  const agents = new Map<string, Agent>()
  const peers = new Map<string, string>()
  const agent = (name: string): Agent => agents.get(name)!
  const circuitTo = (name: string): string => `circuit://${peers.get('pub1')}/${peers.get(name)}/${COORDINATOR}`
  const hostNat = { reflectors: [COORDINATOR, REFLECTOR_2], relays: [COORDINATOR] }

  async function spawnAgent(name: string, where: string, cmd: string, args: Json): Promise<Json> {
    const a = new Agent(where)
    agents.set(name, a)
    return startIn(name, a, cmd, args)
  }

  async function startIn(name: string, a: Agent, cmd: string, args: Json): Promise<Json> {
    const started = await a.call(cmd, args, 30_000)
    peers.set(name, started.peerId)
    return started
  }

  beforeAll(async () => {
    if (problem !== undefined) throw new Error(`nat-lab cannot run on CI: ${problem}`)
    const started = performance.now()
    down()
    up()
    const built = performance.now()
    // The public segment is one process: the coordinator (a node, reflector and relay) and a second
    // reflector (a transport with its own identity, so two distinct reflectors can agree).
    await spawnAgent('pub1', 'pub', 'start-node', { listen: [COORDINATOR], nat: { roles: ['reflector', 'relay'] } })
    await startIn('pub2', agent('pub1'), 'start-transport', { listen: REFLECTOR_2, nat: { roles: ['reflector'] } })
    await Promise.all(HOSTS.map((n) => spawnAgent(`h${n}`, `h${n}`, 'start-transport', { listen: `tcp://10.77.${n}.10:0`, nat: hostNat })))
    console.log(`nat-lab: namespaces built in ${Math.round(built - started)} ms, 6 processes running after ${Math.round(performance.now() - started)} ms`)
  }, 60_000)

  afterAll(async () => {
    await Promise.all([...agents.values()].map((a) => a.stop()))
    down()
    expect(ourNamespaces()).toEqual([])
  }, 30_000)

  it('adopts the address two reflectors agree on and classifies each NAT', async () => {
    for (const n of [1, 2, 3, 4]) {
      const status = await agent(`h${n}`).call('status')
      expect(status.nat, JSON.stringify(status)).toBe('eim')
      expect(status.reflexiveAddr).toMatch(new RegExp(`^tcp://198\\.51\\.100\\.${n}:\\d+$`))
      expect(status.behindNat).toBe(true)
      expect(status.relayedAddrs, JSON.stringify(status)).toEqual([circuitTo(`h${n}`)])
    }
    const symmetric = await agent('h5').call('status')
    expect(['edm', 'symmetric']).toContain(symmetric.nat)
    expect(symmetric.reflexiveAddr).toBeUndefined()
  })

  /** The remote addresses of `from`'s connections to `to`. */
  const linksBetween = (from: string, to: string): Promise<string[]> => agent(from).call('connections', { peer: peers.get(to) })

  /** True once both ends hold exactly one connection to each other, a direct one (the circuit retired), within 2 s. */
  async function singleDirectLink(a: string, b: string): Promise<boolean> {
    const direct = (addrs: string[]): boolean => addrs.length === 1 && addrs[0]!.startsWith('tcp://')
    for (const deadline = performance.now() + 2_000; performance.now() < deadline;) {
      if (direct(await linksBetween(a, b)) && direct(await linksBetween(b, a))) return true
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    return false
  }

  /** One trial: `dialer` reaches `acceptor` through the relay; the acceptor punches (DCUtR); both then disconnect unless `keep`. */
  async function trial(dialer: string, acceptor: string, keep = false): Promise<{ outcome: string; attempts: number; relayedKept: boolean; single: boolean }> {
    const from = agent(acceptor).events.length
    await agent(dialer).call('dial', { addr: circuitTo(acceptor), peer: peers.get(acceptor) }).catch(async (error: Error) => {
      throw new Error(`${error.message}; acceptor ${JSON.stringify(await agent(acceptor).call('stats'))}; relay ${JSON.stringify((await agent('pub1').call('status')).nat.relay)}`)
    })
    const event = await agent(acceptor).waitEvent(from, (e) => e['event'] === 'punch', 15_000)
    const outcome = String(event?.['outcome'] ?? 'no-event')
    const relayedKept = (await linksBetween(dialer, acceptor)).some((c) => c.startsWith('circuit://'))
    const single = outcome === 'punched' && await singleDirectLink(dialer, acceptor)
    if (!keep) {
      await agent(dialer).call('disconnect', { peer: peers.get(acceptor) })
      await agent(acceptor).call('disconnect', { peer: peers.get(dialer) })
    }
    return { outcome, attempts: Number(event?.['attempts'] ?? 0), relayedKept, single }
  }

  /** Trials within the bounds above; a punch must leave exactly one direct connection, a failure the relayed one. */
  async function punchTrials(dialer: string, acceptor: string, profile: string): Promise<void> {
    const started = performance.now()
    let punched = 0
    let trials = 0
    const attempts = [0, 0, 0]
    while (trials < TRIALS && (trials < MIN_TRIALS || performance.now() - started < TRIAL_BUDGET_MS)) {
      const result = await trial(dialer, acceptor)
      expect(result.outcome === 'punched' || result.relayedKept, `trial ${trials}: ${result.outcome} without the relay`).toBe(true)
      if (result.outcome === 'punched') expect(result.single, `trial ${trials}: not exactly one direct connection`).toBe(true)
      if (result.outcome === 'punched') { punched++; attempts[result.attempts - 1]!++ }
      trials++
    }
    console.log(`nat-lab: ${profile} profile ${punched}/${trials} punched in ${Math.round(performance.now() - started)} ms (after 1/2/3 attempts: ${attempts.join('/')})`)
    expect(punched / trials).toBeGreaterThanOrEqual(0.95)
  }

  it(`punches through port-preserving routers that drop unsolicited SYNs (${MIN_TRIALS}-${TRIALS} trials, >= 95%)`, async () => {
    await punchTrials('h1', 'h2', 'drop')
  }, 120_000)

  it(`punches through port-preserving routers that answer unsolicited SYNs with a RST (${MIN_TRIALS}-${TRIALS} trials, >= 95%)`, async () => {
    await punchTrials('h3', 'h4', 'rst')
  }, 120_000)

  it('reaches a symmetric-NAT peer through the relay, never punches it, and enforces the relay byte budget', async () => {
    const { outcome, relayedKept } = await trial('h5', 'h1', true)
    expect(outcome).toBe('failed')
    expect(relayedKept).toBe(true)
    const sent = await agent('h5').call('send-bytes', { peer: peers.get('h1'), bytes: 200 * 1024 })
    expect(sent.open).toBe(false)
    const relay = (await agent('pub1').call('status')).nat.relay
    expect(relay.closedOverBytes).toBeGreaterThanOrEqual(1)
    const refused = await agent('h1').call('circuits', { addr: `circuit://${peers.get('pub1')}/${peers.get('pub2')}/${COORDINATOR}`, peer: peers.get('pub2'), count: 1 })
    expect(refused).toEqual(['no-reservation'])
  }, 30_000)

  it('carries pubsub both ways with a symmetric-NAT node within 5 s, and over a punched connection', async () => {
    // Full nodes in the hosts' processes h1 (drop) and h5 (random mapping), joining through the coordinator.
    const nodeNat = { ...hostNat }
    const n1 = agent('h1')
    const n5 = agent('h5')
    const from1 = n1.events.length
    const from5 = n5.events.length
    await startIn('n1', n1, 'start-node', { listen: ['tcp://10.77.1.10:0'], nat: nodeNat, bootstrap: [COORDINATOR], topic: 'lab' })
    await startIn('n5', n5, 'start-node', { listen: ['tcp://10.77.5.10:0'], nat: nodeNat, bootstrap: [COORDINATOR], topic: 'lab' })
    // From the moment the symmetric-NAT node has joined: the overlay reaches it through the relay and
    // the two become topic neighbours (the coordinator does not subscribe, so it forwards nothing).
    const started = performance.now()
    const peered5 = await n5.waitEvent(from5, (e) => e['event'] === 'topic-peer' && e['peer'] === peers.get('n1'), 5_000)
    const peered1 = await n1.waitEvent(from1, (e) => e['event'] === 'topic-peer' && e['peer'] === peers.get('n5'), 5_000)
    await n1.call('publish', { topic: 'lab', payload: 'from n1' })
    await n5.call('publish', { topic: 'lab', payload: 'from n5' })
    const at5 = await n5.waitEvent(from5, (e) => e['event'] === 'message' && e['payload'] === 'from n1', 5_000)
    const at1 = await n1.waitEvent(from1, (e) => e['event'] === 'message' && e['payload'] === 'from n5', 5_000)
    const elapsed = performance.now() - started
    console.log(`nat-lab: symmetric node reachable with pubsub both ways in ${Math.round(elapsed)} ms`)
    const s5 = await n5.call('status')
    expect(peered1 !== undefined && peered5 !== undefined).toBe(true)
    expect((s5.nat.peers as Json[]).find((p) => p['peerId'] === peers.get('n1'))?.['path']).toBe('relayed')
    expect([at1?.['payload'], at5?.['payload']]).toEqual(['from n5', 'from n1'])
    expect(elapsed).toBeLessThan(5_000)

    // A third node behind the other dropping router: reached through the relay, then upgraded by a
    // punch; the overlay moves to the direct connection and pubsub keeps flowing over it.
    const n2 = agent('h2')
    const from2 = n2.events.length
    await startIn('n2', n2, 'start-node', { listen: ['tcp://10.77.2.10:0'], nat: nodeNat, bootstrap: [COORDINATOR], topic: 'lab' })
    // Either end may start the punch (whichever accepted a relayed connection); when both dialled at
    // once, deduplication closes one relayed connection and a punch running on it fails, so wait for
    // a success from either side.
    const punchedBy = (a: Agent, from: number, other: string): Promise<Json | undefined> =>
      a.waitEvent(from, (e) => e['event'] === 'punch' && e['peer'] === peers.get(other) && e['outcome'] === 'punched', 10_000)
    const punched = await firstDefined([punchedBy(n2, from2, 'n1'), punchedBy(n1, from1, 'n2')])
    expect(punched?.['outcome']).toBe('punched')
    // The success may be n1's: n2 then takes the punched connection over a moment later.
    const pathAtN2 = async (): Promise<unknown> => ((await n2.call('status')).nat.peers as Json[]).find((p) => p['peerId'] === peers.get('n1'))?.['path']
    const pathDeadline = Date.now() + 5_000
    let path = await pathAtN2()
    while (path !== 'punched' && Date.now() < pathDeadline) {
      await new Promise((r) => setTimeout(r, 100))
      path = await pathAtN2()
    }
    expect(path).toBe('punched')
    await n2.waitEvent(from2, (e) => e['event'] === 'topic-peer', 5_000)
    await n1.call('publish', { topic: 'lab', payload: 'after the punch' })
    expect(await n2.waitEvent(from2, (e) => e['event'] === 'message' && e['payload'] === 'after the punch', 5_000)).toBeDefined()
  }, 45_000)
})
