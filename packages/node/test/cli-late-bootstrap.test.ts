import { describe, it, expect, afterAll } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { HYPARVIEW_LOCAL } from '@saorsa-gossip/membership/proto'

// Two real `saorsa-gossip network join` daemons on loopback TCP: D starts with --bootstrap pointing
// at a port where nothing listens, keeps running (no exit code: it prints `waiting` and redials with
// backoff), and joins E within one backoff cap of E appearing there.
//
// E's port is reserved honestly: E runs once on port 0, so the kernel picks a free port and E's
// identity is created; E leaves, then D starts with that address as its bootstrap; then E restarts
// with the same home (same identity) bound to that exact port. Nothing else binds it in between
// (Linux hands out ephemeral ports in a hashed order, not the one just released), and if anything
// did, E's bind fails and the test says so instead of passing. E never joined anybody, so its peer
// cache is empty and it does not dial D: the join can only come from D's redials.

const BIN = fileURLToPath(new URL('../dist/cli/bin.js', import.meta.url))
const ENV = { ...process.env, SAORSA_GOSSIP_PASSPHRASE: 'late bootstrap test passphrase' }
/** LOCAL preset's redial cap, plus two seconds for two processes' scheduling on a loaded machine. */
const JOIN_BOUND_MS = HYPARVIEW_LOCAL.redialMaxMs + 2_000

interface Proc { child: ChildProcess; lines: string[]; events: Array<Record<string, unknown>>; exited: Promise<number | null> }

function run(args: string[]): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] })
  const proc: Proc = { child, lines: [], events: [], exited: new Promise((r) => child.once('exit', (code) => r(code))) }
  let buffer = ''
  child.stdout!.on('data', (d: Buffer) => {
    buffer += d.toString()
    for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, nl)
      buffer = buffer.slice(nl + 1)
      proc.lines.push(line)
      try {
        proc.events.push({ ...(JSON.parse(line) as Record<string, unknown>), seenAtMs: Date.now() })
      } catch {
        // Human progress lines are kept in `lines` only.
      }
    }
  })
  child.stderr!.on('data', (d: Buffer) => proc.lines.push(`stderr: ${d.toString().trim()}`))
  return proc
}

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs: number, context: Proc): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = probe()
    if (value !== undefined && value !== false) return value
    if (context.child.exitCode !== null) throw new Error(`exited (${context.child.exitCode}) before ${what}; output:\n${context.lines.join('\n')}`)
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output:\n${context.lines.join('\n')}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

const eventOf = (p: Proc, name: string) => p.events.find((e) => e.event === name)

const homes: string[] = []
const procs: Proc[] = []
afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL')
  for (const h of homes) await rm(h, { recursive: true, force: true })
})

function daemon(home: string, bind: string, bootstrap?: string): Proc {
  const args = ['--home', home, '--json', 'network', 'join', '--bind', bind, '--preset', 'local']
  if (bootstrap !== undefined) args.push('--bootstrap', bootstrap)
  const p = run(args)
  procs.push(p)
  return p
}

describe('a CLI daemon started before its bootstrap peer', () => {
  it('keeps running, redials, and joins within one backoff cap of the peer appearing', async () => {
    const homeD = await mkdtemp(join(tmpdir(), 'sg-late-d-'))
    const homeE = await mkdtemp(join(tmpdir(), 'sg-late-e-'))
    homes.push(homeD, homeE)

    const first = daemon(homeE, 'tcp://127.0.0.1:0')
    const listening = await until('E to listen', () => eventOf(first, 'listening'), 20_000, first)
    const addrE = (listening.addrs as string[])[0]!
    const idE = listening.peerId as string
    const leave = run(['--home', homeE, '--json', 'network', 'leave'])
    expect(await leave.exited).toBe(0)
    expect(await first.exited).toBe(0)

    const d = daemon(homeD, 'tcp://127.0.0.1:0', addrE)
    const waiting = await until('D to report that nobody answered', () => eventOf(d, 'waiting'), 20_000, d)
    expect(waiting.redialling).toBe(true)
    // Past the backoff cap, so D is redialling at its slowest; a node that gave up would stay alone.
    await new Promise((r) => setTimeout(r, HYPARVIEW_LOCAL.redialMaxMs + 1_000))
    expect(d.child.exitCode).toBeNull()
    expect(eventOf(d, 'joined')).toBeUndefined()

    const e = daemon(homeE, addrE)
    const back = await until('E to listen again on the same port', () => eventOf(e, 'listening'), 20_000, e)
    expect(back.peerId).toBe(idE)
    expect(back.addrs).toContain(addrE)
    const joined = await until('D to join E', () => eventOf(d, 'joined'), JOIN_BOUND_MS + 5_000, d)
    expect(joined.activePeers).toBe(1)
    expect((joined.seenAtMs as number) - (back.seenAtMs as number)).toBeLessThanOrEqual(JOIN_BOUND_MS)
    // E had nobody to dial (no bootstrap, empty peer cache): the join came from D's redials. E reports
    // `waiting` with nothing to redial; or, when D's redial reached E while E was still starting
    // (seen on a loaded machine), D is E's neighbour and cached peer before E's own join runs, and
    // E reports `joined` after announcing D as a neighbour.
    const idD = (await until('D to listen', () => eventOf(d, 'listening'), 1_000, d)).peerId as string
    // `until` takes any value but undefined and false as an answer, so the index is only returned once found.
    const reported = () => {
      const index = e.events.findIndex((ev) => ev.event === 'waiting' || ev.event === 'joined')
      return index >= 0 ? index : undefined
    }
    const report = await until('E to report its join', reported, 10_000, e)
    if (e.events[report]!.event === 'waiting') expect(e.events[report]).toMatchObject({ redialling: false })
    else expect(e.events.slice(0, report).some((ev) => ev.event === 'peer:up' && ev.peerId === idD)).toBe(true)
    await until('E to see D', () => eventOf(e, 'joined'), 10_000, e)
  }, 90_000)
})
