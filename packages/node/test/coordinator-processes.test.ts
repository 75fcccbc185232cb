import { describe, it, expect, afterAll } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

// Two real `saorsa-coordinator` processes (the second bootstraps from the first) and five
// `saorsa-gossip network join` daemons on loopback TCP, driven only through the CLI. Each daemon is
// given one coordinator's address (daemons 0-2 the first, 3-4 the second) and nothing else; every node
// verifies, caches and lists both coordinators' signed adverts (`network coordinators --json`) and
// every address book converges to the same seven records. A daemon restarted with no --bootstrap and
// no peer cache rejoins through the coordinators it cached (coordinators.cbor), and still does once
// the only coordinator it was ever given is dead, through the other one.

const GOSSIP = fileURLToPath(new URL('../dist/cli/bin.js', import.meta.url))
const COORDINATOR = fileURLToPath(new URL('../dist/cli/coordinator-bin.js', import.meta.url))
const ENV = { ...process.env, SAORSA_GOSSIP_PASSPHRASE: 'coordinator test passphrase' }

interface Proc { child: ChildProcess; lines: string[]; events: Array<Record<string, unknown>>; exited: Promise<number | null> }

function run(bin: string, args: string[]): Proc {
  const child = spawn(process.execPath, [bin, ...args], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] })
  const proc: Proc = { child, lines: [], events: [], exited: new Promise((r) => child.once('exit', (code) => r(code))) }
  let buffer = ''
  child.stdout!.on('data', (d: Buffer) => {
    buffer += d.toString()
    let nl
    while ((nl = buffer.indexOf('\n')) !== -1) {
      const line = buffer.slice(0, nl)
      buffer = buffer.slice(nl + 1)
      proc.lines.push(line)
      try {
        proc.events.push(JSON.parse(line) as Record<string, unknown>)
      } catch {
        // Human lines stay in `lines` only.
      }
    }
  })
  child.stderr!.on('data', (d: Buffer) => proc.lines.push(`stderr: ${d.toString().trim()}`))
  procs.push(proc)
  return proc
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000, context?: Proc): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${context === undefined ? '' : `; output:\n${context.lines.join('\n')}`}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

async function cli(home: string, ...args: string[]): Promise<{ code: number | null; out: string }> {
  const p = run(GOSSIP, ['--home', home, '--json', ...args])
  const code = await p.exited
  return { code, out: p.lines.filter((l) => !l.startsWith('stderr: ')).join('\n') }
}

const homes: string[] = []
const procs: Proc[] = []
afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL')
  await Promise.all(procs.map((p) => p.exited))
  for (const h of homes) await rm(h, { recursive: true, force: true })
})

async function newHome(name: string): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), `sg-coord-${name}-`))
  homes.push(home)
  return home
}

const eventOf = (p: Proc, name: string) => p.events.find((e) => e.event === name)

function startDaemon(home: string, bootstrap?: string): Proc {
  const args = ['--home', home, '--json', 'network', 'join', '--bind', 'tcp://127.0.0.1:0', '--preset', 'local']
  if (bootstrap !== undefined) args.push('--bootstrap', bootstrap)
  return run(GOSSIP, args)
}

function startCoordinator(home: string, roles: string, bootstrap?: string): Proc {
  const args = ['--home', home, '--json', '--bind', 'tcp://127.0.0.1:0', '--preset', 'local', '--roles', roles, '--publish-interval', '2']
  if (bootstrap !== undefined) args.push('--bootstrap', bootstrap)
  return run(COORDINATOR, args)
}

interface AdvertJson { peerId: string; roles: string[]; addresses: string[]; nat: string; expiresMs: number; dialSuccesses: number }
interface Member { home: string; proc: Proc; peerId: string; addrs: string[] }

async function listening(home: string, proc: Proc): Promise<Member> {
  const event = await until(`${home} to listen`, () => eventOf(proc, 'listening'), 20_000, proc)
  return { home, proc, peerId: event.peerId as string, addrs: event.addrs as string[] }
}

async function coordinatorsOf(home: string, role?: string): Promise<AdvertJson[]> {
  const { code, out } = await cli(home, 'network', 'coordinators', ...(role === undefined ? [] : ['--role', role]))
  return code === 0 ? (JSON.parse(out) as AdvertJson[]) : []
}

/** The peers in the node's active view: the neighbours it is connected to. */
async function neighboursOf(home: string): Promise<string[]> {
  const { code, out } = await cli(home, 'network', 'peers')
  return code === 0 ? (JSON.parse(out) as Array<{ peerId: string; view: string }>).filter((p) => p.view === 'active').map((p) => p.peerId) : []
}

async function addressBookOf(home: string): Promise<Array<{ peerId: string; addresses: string[] }>> {
  const { code, out } = await cli(home, 'network', 'addressbook')
  return code === 0 ? (JSON.parse(out) as Array<{ peerId: string; addresses: string[] }>).map(({ peerId, addresses }) => ({ peerId, addresses })) : []
}

/** Polls `network coordinators` until it lists at least `count` adverts. */
function listed(home: string, count: number): Promise<AdvertJson[]> {
  return until(`${home} to list ${count} coordinator(s)`, async () => {
    const list = await coordinatorsOf(home)
    return list.length >= count ? list : undefined
  })
}

/** Stops a daemon cleanly (its caches are written), forgets its peers and starts it with no bootstrap. */
async function restartFromCoordinatorCache(daemon: Member): Promise<Proc> {
  daemon.proc.child.kill('SIGINT')
  expect(await daemon.proc.exited).toBe(0)
  await stat(join(daemon.home, 'coordinators.cbor'))
  await rm(join(daemon.home, 'peers.cbor'), { force: true })
  const restarted = startDaemon(daemon.home)
  daemon.proc = restarted
  return restarted
}

const byPeerId = (a: { peerId: string }, b: { peerId: string }) => (a.peerId < b.peerId ? -1 : 1)

describe('two saorsa-coordinator processes and five CLI daemons over loopback TCP', () => {
  const ROLES_A = ['coordinator', 'reflector', 'relay', 'rendezvous']
  const ROLES_B = ['coordinator', 'rendezvous']
  let a: Member
  let b: Member
  const daemons: Member[] = []

  it('refuses an unknown role with a usage error before touching the home', async () => {
    const home = await newHome('bad')
    const p = run(COORDINATOR, ['--home', home, '--roles', 'coordinator,oracle'])
    expect(await p.exited).toBe(2)
    expect(p.lines.join('\n')).toContain("unknown role 'oracle'")
    await expect(stat(join(home, 'keystore'))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('starts two coordinators (the second through the first) and five daemons, each given one coordinator', async () => {
    const [aHome, bHome, ...dHomes] = await Promise.all(['a', 'b', 'd0', 'd1', 'd2', 'd3', 'd4'].map(newHome)) as [string, string, ...string[]]
    a = await listening(aHome, startCoordinator(aHome, ROLES_A.join(',')))
    // The second coordinator and the daemons given the first start together; the rest need its address.
    const first = dHomes.slice(0, 3).map((home) => listening(home, startDaemon(home, a.addrs[0])))
    b = await listening(bHome, startCoordinator(bHome, ROLES_B.join(','), a.addrs[0]))
    const second = dHomes.slice(3).map((home) => listening(home, startDaemon(home, b.addrs[0])))
    daemons.push(...await Promise.all([...first, ...second]))
    expect(new Set([a, b, ...daemons].map((m) => m.peerId)).size).toBe(7)
    for (const [c, roles] of [[a, ROLES_A], [b, ROLES_B]] as const) {
      const identity = await until(`${c.home} to print its identity`, () => eventOf(c.proc, 'identity'), 20_000, c.proc)
      expect(identity).toMatchObject({ peerId: c.peerId, roles })
      const published = await until(`${c.home}'s first advert`, () => eventOf(c.proc, 'advert:published'), 20_000, c.proc)
      expect(published.bytes as number).toBeGreaterThan(4_000)
      expect(published.bytes as number).toBeLessThanOrEqual(6_144)
    }
    await Promise.all([b, ...daemons].map((m) => until(`${m.home} to join`, () => eventOf(m.proc, 'joined'), 20_000, m.proc)))
  })

  it('every daemon caches and lists both coordinators; each coordinator lists the other', async () => {
    const expected = [
      { peerId: a.peerId, roles: ROLES_A, addresses: a.addrs, nat: 'unknown' },
      { peerId: b.peerId, roles: ROLES_B, addresses: b.addrs, nat: 'unknown' },
    ].sort(byPeerId)
    await Promise.all(daemons.map(async (d) => {
      const adverts = await listed(d.home, 2)
      expect([...adverts].sort(byPeerId).map(({ peerId, roles, addresses, nat }) => ({ peerId, roles, addresses, nat }))).toEqual(expected)
      for (const advert of adverts) expect(advert.expiresMs).toBeGreaterThan(Date.now())
    }))
    const home = daemons[4]!.home
    const [rendezvous, relay, bad, ofA, ofB] = await Promise.all([
      coordinatorsOf(home, 'rendezvous'), coordinatorsOf(home, 'relay'), cli(home, 'network', 'coordinators', '--role', 'oracle'),
      listed(a.home, 1), listed(b.home, 1),
    ])
    // The role filter: both serve rendezvous, only the first advertises relay.
    expect(rendezvous.map((x) => x.peerId).sort(), 'rendezvous-role adverts').toEqual([a.peerId, b.peerId].sort())
    expect(relay.map((x) => x.peerId), 'relay-role adverts').toEqual([a.peerId])
    expect(bad.code).toBe(2)
    // A coordinator's cache holds the adverts of others, never its own.
    expect(ofA.map((x) => x.peerId), `coordinator A (${a.peerId.slice(0, 8)}) lists`).toEqual([b.peerId])
    expect(ofB.map((x) => x.peerId), `coordinator B (${b.peerId.slice(0, 8)}) lists`).toEqual([a.peerId])
  })

  it('converges every address book to the same seven signed records', async () => {
    const members = [a, b, ...daemons]
    const expected = members.map((m) => ({ peerId: m.peerId, addresses: m.addrs })).sort(byPeerId)
    await Promise.all(members.map(async (m) => {
      const book = await until(`${m.home}'s address book to hold all seven`, async () => {
        const entries = await addressBookOf(m.home)
        return entries.length >= expected.length ? entries : undefined
      })
      expect(book).toEqual(expected)
    }))
  })

  it('rejoins through the cached coordinators after a restart with no bootstrap and no peer cache', async () => {
    const d0 = daemons[0]!
    const restarted = await restartFromCoordinatorCache(d0)
    const joined = await until('the restarted daemon to join', () => eventOf(restarted, 'joined'), 20_000, restarted)
    expect(joined.activePeers as number).toBeGreaterThanOrEqual(1)
    // Nothing but the two cached coordinators to try.
    expect(joined.contacted).toBe(2)
    expect(eventOf(restarted, 'listening')!.peerId).toBe(d0.peerId)
    await until(`${d0.home} to have a coordinator as a neighbour`, async () =>
      (await neighboursOf(d0.home)).some((p) => p === a.peerId || p === b.peerId))
    // contacted = 2 already showed both adverts came back from coordinators.cbor; they stay listed.
    expect((await coordinatorsOf(d0.home)).map((x) => x.peerId).sort()).toEqual([a.peerId, b.peerId].sort())
  })

  it('rejoins through the other cached coordinator when the only one it was given is dead', async () => {
    a.proc.child.kill('SIGKILL')
    await a.proc.exited
    // Daemon 1 was only ever given the first coordinator's address.
    const d1 = daemons[1]!
    const restarted = await restartFromCoordinatorCache(d1)
    const joined = await until('the restarted daemon to join without the first coordinator', () => eventOf(restarted, 'joined'), 20_000, restarted)
    expect(joined.activePeers as number).toBeGreaterThanOrEqual(1)
    expect(joined.contacted).toBe(2)
    const neighbours = await until(`${d1.home} to have the second coordinator as a neighbour`, async () => {
      const list = await neighboursOf(d1.home)
      return list.includes(b.peerId) ? list : undefined
    })
    expect(neighbours).not.toContain(a.peerId)
    // The working dial counts for the second coordinator's score.
    await until(`${d1.home} to record the dial to the second coordinator`, async () =>
      ((await coordinatorsOf(d1.home)).find((x) => x.peerId === b.peerId)?.dialSuccesses ?? 0) > 0)
  })
})
