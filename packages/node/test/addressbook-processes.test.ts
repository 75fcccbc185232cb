import { describe, it, expect, afterAll } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { COORDINATOR_LOCAL } from '@saorsa-gossip/coordinator'
import { controlRequest } from '../src/control/client.ts'

// Ten `saorsa-gossip network join --preset local` daemons on loopback TCP, each started once the
// previous one listens and bootstrapped from it, driven only through the CLI. Every address book
// converges to the same ten signed records; a daemon killed with SIGKILL (no goodbye) leaves every
// other book once its last record is older than the preset's expiry, and not before.

const GOSSIP = fileURLToPath(new URL('../dist/cli/bin.js', import.meta.url))
const ENV = { ...process.env, SAORSA_GOSSIP_PASSPHRASE: 'address book test passphrase' }
const BOOK = COORDINATOR_LOCAL.addressBook
// AddressBookCore sweeps every expiry / 3.
const SWEEP_MS = Math.floor(BOOK.expiryMs / 3)
// Covers the poll interval, a control round trip and timer lateness on a loaded machine.
const SLACK_MS = 2_000

interface Proc { child: ChildProcess; lines: string[]; events: Array<Record<string, unknown>>; exited: Promise<number | null> }

function run(args: string[]): Proc {
  const child = spawn(process.execPath, [GOSSIP, ...args], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] })
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

const homes: string[] = []
const procs: Proc[] = []
afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL')
  await Promise.all(procs.map((p) => p.exited))
  for (const h of homes) await rm(h, { recursive: true, force: true })
})

interface Member { home: string; proc: Proc; peerId: string; addrs: string[]; control: string }

async function startDaemon(index: number, bootstrap?: string): Promise<Member> {
  const home = await mkdtemp(join(tmpdir(), `sg-book-${index}-`))
  homes.push(home)
  const args = ['--home', home, '--json', 'network', 'join', '--bind', 'tcp://127.0.0.1:0', '--preset', 'local']
  if (bootstrap !== undefined) args.push('--bootstrap', bootstrap)
  const proc = run(args)
  const event = await until(`daemon ${index} to listen`, () => proc.events.find((e) => e.event === 'listening'), 30_000, proc)
  return { home, proc, peerId: event.peerId as string, addrs: event.addrs as string[], control: event.control as string }
}

interface BookEntry { peerId: string; addresses: string[] }

/** What `network addressbook --json` prints, through the CLI process. */
async function addressBookOf(home: string): Promise<BookEntry[]> {
  const p = run(['--home', home, '--json', 'network', 'addressbook'])
  expect(await p.exited).toBe(0)
  const out = p.lines.filter((l) => !l.startsWith('stderr: ')).join('\n')
  return (JSON.parse(out) as BookEntry[]).map(({ peerId, addresses }) => ({ peerId, addresses }))
}

/**
 * The same request the CLI sends, straight to the control socket: ten pollers spawning a Node.js
 * process every quarter second would load a 2-core machine more than the daemons under test.
 */
async function peerIdsInBook(member: Member): Promise<string[]> {
  const book = await controlRequest(member.control, 'coordinator.addressbook') as BookEntry[]
  return book.map((e) => e.peerId)
}

const byPeerId = (a: { peerId: string }, b: { peerId: string }) => (a.peerId < b.peerId ? -1 : 1)

describe('ten CLI daemons started in sequence over loopback TCP', () => {
  const members: Member[] = []

  // Each start unlocks a fresh scrypt (N = 2^17) keystore: about 1 s alone, several on a busy machine.
  it('converges every address book to the same ten signed records', async () => {
    for (let i = 0; i < 10; i++) members.push(await startDaemon(i, members.at(-1)?.addrs[0]))
    expect(new Set(members.map((m) => m.peerId)).size).toBe(10)
    await Promise.all(members.map((m, i) => until(`daemon ${i}'s address book to hold all ten`, async () =>
      (await peerIdsInBook(m)).length >= members.length, 30_000, m.proc)))
    const expected = members.map((m) => ({ peerId: m.peerId, addresses: m.addrs })).sort(byPeerId)
    for (const book of await Promise.all(members.map((m) => addressBookOf(m.home)))) expect(book).toEqual(expected)
  }, 150_000)

  it('drops a killed daemon from every other book once its record expires, and keeps the living', async () => {
    const victim = members[4]!
    const survivors = members.filter((m) => m !== victim)
    const killSentAt = Date.now()
    victim.proc.child.kill('SIGKILL')
    await victim.proc.exited
    const deadAt = Date.now()
    const goneAt = await Promise.all(survivors.map(async (m, i) => {
      await until(`survivor ${i} to drop the killed daemon`, async () =>
        !(await peerIdsInBook(m)).includes(victim.peerId), BOOK.expiryMs + SWEEP_MS + 10_000, m.proc)
      return Date.now()
    }))
    // Its last record is at most one jittered publish interval (+50 %) older than its death, so expiry
    // cannot have removed it sooner; the first sweep after the expiry removes it at the latest.
    for (const at of goneAt) {
      expect(at - killSentAt).toBeGreaterThan(BOOK.expiryMs - BOOK.publishIntervalMs * 1.5)
      expect(at - deadAt).toBeLessThanOrEqual(BOOK.expiryMs + SWEEP_MS + SLACK_MS)
    }
    // Nobody else went silent: the other nine stay in every book, through the CLI as well.
    const expected = survivors.map((m) => ({ peerId: m.peerId, addresses: m.addrs })).sort(byPeerId)
    for (const book of await Promise.all(survivors.map((m) => addressBookOf(m.home)))) expect(book).toEqual(expected)
  })
})
