import { describe, it, expect, afterAll } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

// A real `saorsa-coordinator` process and two `saorsa-gossip network join` daemons on loopback TCP,
// driven only through the CLI: the daemons verify and cache the coordinator's signed advert and list it
// with `network coordinators --json`; a daemon restarted without --bootstrap and without its peer cache
// rejoins through the coordinator it cached (coordinators.cbor).

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
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL')
  for (const h of homes) await rm(h, { recursive: true, force: true })
})

const eventOf = (p: Proc, name: string) => p.events.find((e) => e.event === name)

function startDaemon(home: string, bootstrap?: string): Proc {
  const args = ['--home', home, '--json', 'network', 'join', '--bind', 'tcp://127.0.0.1:0', '--preset', 'local']
  if (bootstrap !== undefined) args.push('--bootstrap', bootstrap)
  return run(GOSSIP, args)
}

interface AdvertJson { peerId: string; roles: string[]; addresses: string[]; nat: string; expiresMs: number }

describe('saorsa-coordinator and two CLI daemons over loopback TCP', () => {
  let coordinator: Proc
  let coordinatorId = ''
  let coordinatorAddr = ''
  const daemons: Proc[] = []

  it('refuses an unknown role with a usage error before touching the home', async () => {
    const home = await mkdtemp(join(tmpdir(), 'sg-coord-bad-'))
    homes.push(home)
    const p = run(COORDINATOR, ['--home', home, '--roles', 'coordinator,oracle'])
    expect(await p.exited).toBe(2)
    expect(p.lines.join('\n')).toContain("unknown role 'oracle'")
    await expect(stat(join(home, 'keystore'))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('publishes a signed advert that both daemons verify, cache and list', async () => {
    for (let i = 0; i < 3; i++) homes.push(await mkdtemp(join(tmpdir(), `sg-coord-${i}-`)))
    const [cHome, aHome, bHome] = homes.slice(1) as [string, string, string]
    coordinator = run(COORDINATOR, ['--home', cHome, '--json', '--bind', 'tcp://127.0.0.1:0', '--preset', 'local',
      '--roles', 'coordinator,reflector,relay,rendezvous', '--publish-interval', '2'])
    const listening = await until('the coordinator to listen', () => eventOf(coordinator, 'listening'), 20_000, coordinator)
    coordinatorId = listening.peerId as string
    coordinatorAddr = (listening.addrs as string[])[0]!
    const identity = await until('the coordinator to print its identity', () => eventOf(coordinator, 'identity'), 20_000, coordinator)
    expect(identity).toMatchObject({ peerId: coordinatorId, roles: ['coordinator', 'reflector', 'relay', 'rendezvous'] })
    const published = await until('the first advert', () => eventOf(coordinator, 'advert:published'), 20_000, coordinator)
    expect(published.bytes as number).toBeGreaterThan(4_000)
    expect(published.bytes as number).toBeLessThanOrEqual(6_144)

    daemons.push(startDaemon(aHome, coordinatorAddr), startDaemon(bHome, coordinatorAddr))
    for (const [i, d] of daemons.entries()) await until(`daemon ${i} to join`, () => eventOf(d, 'joined'), 20_000, d)

    for (const home of [aHome, bHome]) {
      const adverts = await until(`${home} to list the coordinator`, async () => {
        const { code, out } = await cli(home, 'network', 'coordinators')
        const list = code === 0 ? (JSON.parse(out) as AdvertJson[]) : []
        return list.length > 0 ? list : undefined
      })
      expect(adverts).toHaveLength(1)
      expect(adverts[0]).toMatchObject({
        peerId: coordinatorId, roles: ['coordinator', 'reflector', 'relay', 'rendezvous'], addresses: [coordinatorAddr], nat: 'unknown',
      })
      expect(adverts[0]!.expiresMs).toBeGreaterThan(Date.now())
      const { out } = await cli(home, 'network', 'coordinators', '--role', 'rendezvous')
      expect((JSON.parse(out) as AdvertJson[]).map((a) => a.peerId)).toEqual([coordinatorId])
    }
    // The coordinator does not list itself: the cache holds the adverts of others.
    expect(JSON.parse((await cli(cHome, 'network', 'coordinators')).out)).toEqual([])
    const bad = await cli(aHome, 'network', 'coordinators', '--role', 'oracle')
    expect(bad.code).toBe(2)
  })

  it('converges the address book of every node to the three of them', async () => {
    const ids = [coordinatorId, ...daemons.map((d) => eventOf(d, 'listening')!.peerId as string)].sort()
    for (const home of homes.slice(1)) {
      await until(`${home}'s address book`, async () => {
        const { code, out } = await cli(home, 'network', 'addressbook')
        if (code !== 0) return undefined
        const book = (JSON.parse(out) as Array<{ peerId: string }>).map((e) => e.peerId)
        return ids.every((id) => book.includes(id)) || undefined
      })
    }
  })

  it('rejoins through the cached coordinator after a restart with no bootstrap and no peer cache', async () => {
    const aHome = homes[2]!
    daemons[0]!.child.kill('SIGINT')
    expect(await daemons[0]!.exited).toBe(0)
    await stat(join(aHome, 'coordinators.cbor'))
    await rm(join(aHome, 'peers.cbor'), { force: true })
    const restarted = startDaemon(aHome)
    const joined = await until('the restarted daemon to join', () => eventOf(restarted, 'joined'), 20_000, restarted)
    expect(joined.activePeers as number).toBeGreaterThanOrEqual(1)
    expect(joined.contacted).toBe(1)
    const { out } = await cli(aHome, 'network', 'peers')
    expect((JSON.parse(out) as Array<{ peerId: string }>).map((p) => p.peerId)).toContain(coordinatorId)
  })
})
