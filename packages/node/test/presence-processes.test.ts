import { describe, it, expect, afterAll } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PRESENCE_LOCAL } from '@saorsa-gossip/presence'

// Presence over real TCP between separate processes: three `saorsa-gossip network join` daemons
// (local preset) share a group keyed by a secret file, an outsider keyed by another secret runs
// beside them. Driven only through the CLI with --json: each member lists the other two online,
// `presence watch` streams a clean stop, a daemon that leaves shows offline (left) at once rather
// than at expiry, the outsider reads nobody, and its FIND_USER finds a member over the real FOAF overlay.

const BIN = fileURLToPath(new URL('../dist/cli/bin.js', import.meta.url))
const ENV = { ...process.env, SAORSA_GOSSIP_PASSPHRASE: 'presence test passphrase' }
/** Without its offline beacon a departed member would be dropped at expiry, noticed at the next sweep. */
const OFFLINE_BOUND_MS = PRESENCE_LOCAL.beaconTtlMs + PRESENCE_LOCAL.sweepIntervalMs

interface Proc { child: ChildProcess; lines: string[]; events: Array<Record<string, unknown>>; exited: Promise<number | null> }

function run(args: string[]): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] })
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
        // Human progress lines are kept in `lines` only.
      }
    }
  })
  child.stderr!.on('data', (d: Buffer) => proc.lines.push(`stderr: ${d.toString().trim()}`))
  return proc
}

async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

async function cli(home: string, ...args: string[]): Promise<{ code: number | null; out: string }> {
  const p = run(['--home', home, '--json', ...args])
  const code = await p.exited
  return { code, out: p.lines.join('\n') }
}

async function onlineIds(home: string): Promise<string[]> {
  const { code, out } = await cli(home, 'presence', 'online', '--group', 'team')
  if (code !== 0) throw new Error(`presence online failed (${code}): ${out}`)
  return (JSON.parse(out) as { members: Array<{ peerId: string }> }).members.map((m) => m.peerId).sort()
}

const homes: string[] = []
const procs: Proc[] = []
afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL')
  for (const h of homes) await rm(h, { recursive: true, force: true })
})

describe('presence between CLI daemons over loopback TCP', () => {
  const ids: string[] = []
  const addrs: string[] = []
  const daemons: Proc[] = []
  const members = [0, 1, 2]
  const OUTSIDER = 3

  it('start three members and an outsider, and announce the members in a group keyed by a secret file', async () => {
    for (let i = 0; i < 4; i++) homes.push(await mkdtemp(join(tmpdir(), `sg-presence-${i}-`)))
    const start = (i: number, bootstrap?: string): Proc => {
      const args = ['--home', homes[i]!, '--json', 'network', 'join', '--bind', 'tcp://127.0.0.1:0', '--preset', 'local']
      if (bootstrap !== undefined) args.push('--bootstrap', bootstrap)
      const p = run(args)
      procs.push(p)
      daemons[i] = p
      return p
    }
    start(0)
    const first = await until('daemon 0 to listen', () => daemons[0]!.events.find((e) => e.event === 'listening'))
    for (let i = 1; i < 4; i++) start(i, (first.addrs as string[])[0])
    for (let i = 0; i < 4; i++) {
      const listening = await until(`daemon ${i} to listen`, () => daemons[i]!.events.find((e) => e.event === 'listening'))
      ids[i] = listening.peerId as string
      addrs[i] = (listening.addrs as string[])[0]!
      if (i > 0) await until(`daemon ${i} to join`, () => daemons[i]!.events.find((e) => e.event === 'joined'))
    }
    const secretFile = join(homes[0]!, 'team.key')
    await writeFile(secretFile, `${'5a'.repeat(32)}\n`)
    const otherFile = join(homes[OUTSIDER]!, 'other.key')
    await writeFile(otherFile, `${'a5'.repeat(32)}\n`)
    const started = await Promise.all([
      ...members.map((i) => cli(homes[i]!, 'presence', 'start', '--group', 'team', '--secret-file', secretFile)),
      cli(homes[OUTSIDER]!, 'presence', 'start', '--group', 'team', '--secret-file', otherFile),
      // A secret file that is not there is a usage error before anything reaches the daemon.
      cli(homes[0]!, 'presence', 'start', '--group', 'team', '--secret-file', join(homes[0]!, 'missing.key')),
    ])
    for (const s of started.slice(0, 4)) {
      expect(s.code, s.out).toBe(0)
      expect(JSON.parse(s.out)).toEqual({ group: 'team', status: 'online', keyedBy: 'shared-secret' })
    }
    expect(started[4]!.code).toBe(2)
  })

  it('each member lists the other two online with their addresses; the outsider lists nobody', async () => {
    const startedAt = Date.now()
    await Promise.all(members.map(async (i) => {
      const others = members.filter((j) => j !== i).map((j) => ids[j]!).sort()
      await until(`member ${i} to list the other two`, async () => (await onlineIds(homes[i]!)).join() === others.join())
    }))
    console.log(`presence processes: all three members saw each other ${Date.now() - startedAt} ms after the last start`)
    const view = JSON.parse((await cli(homes[0]!, 'presence', 'online', '--group', 'team')).out) as { members: Array<{ peerId: string; addrs: string[]; status: string }> }
    expect(view.members.find((m) => m.peerId === ids[1])).toMatchObject({ status: 'online', addrs: [addrs[1]] })
    const everyGroup = JSON.parse((await cli(homes[OUTSIDER]!, 'presence', 'online')).out) as Array<{ group: string; members: unknown[] }>
    expect(everyGroup).toEqual([{ group: 'team', members: [] }])
  })

  it('the outsider finds a member through FIND_USER over the FOAF overlay', async () => {
    const found = await cli(homes[OUTSIDER]!, 'presence', 'find', ids[2]!)
    expect(found.code, found.out).toBe(0)
    expect(JSON.parse(found.out)).toMatchObject({ peerId: ids[2], via: 'foaf', addrs: [addrs[2]], status: 'online' })
  })

  it('presence watch streams a clean stop at once, and the member is back after a new start', async () => {
    const watch = run(['--home', homes[0]!, '--json', 'presence', 'watch', '--group', 'team', '--count', '3'])
    procs.push(watch)
    // The watch opens with who is online now: the two other members.
    const snapshot = await until('the watch to list who is online', () => (watch.events.length >= 2 ? watch.events.slice(0, 2) : undefined), 10_000)
    expect(snapshot.map((e) => [e.event, e.peerId]).sort()).toEqual([['online', ids[1]], ['online', ids[2]]].sort())
    const stopped = await cli(homes[1]!, 'presence', 'stop', '--group', 'team')
    expect(stopped.code, stopped.out).toBe(0)
    const event = await until('the watch to print the stop', () => watch.events.find((e) => e.event === 'offline'), 5_000)
    expect(event).toMatchObject({ group: 'team', peerId: ids[1], reason: 'left' })
    expect(await watch.exited).toBe(0)
    expect(await onlineIds(homes[0]!)).toEqual([ids[2]!])
    expect((await cli(homes[1]!, 'presence', 'start', '--group', 'team', '--secret-file', join(homes[0]!, 'team.key'))).code).toBe(0)
    await until('member 1 to be back', async () => (await onlineIds(homes[0]!)).includes(ids[1]!))
  })

  it('a member whose daemon leaves says so on its way out: offline (left), long before the TTL', async () => {
    const watch = run(['--home', homes[0]!, '--json', 'presence', 'watch', '--group', 'team', '--count', '3'])
    procs.push(watch)
    await until('the watch to list who is online', () => watch.events.length >= 2 || undefined, 10_000)
    const leftAt = Date.now()
    expect((await cli(homes[2]!, 'network', 'leave')).code).toBe(0)
    const event = await until('the watch to print the departure', () => watch.events.find((e) => e.event === 'offline'), OFFLINE_BOUND_MS)
    console.log(`presence processes: a leaving daemon was offline for its group after ${Date.now() - leftAt} ms`)
    expect(event).toMatchObject({ peerId: ids[2], reason: 'left' })
    // The other member gets the same beacon on its own path through the tree: wait for it there too.
    await until('member 1 to see the departure', async () => {
      const online = await onlineIds(homes[1]!)
      return online.length === 1 && online[0] === ids[0] ? true : undefined
    }, OFFLINE_BOUND_MS)
  })
})
