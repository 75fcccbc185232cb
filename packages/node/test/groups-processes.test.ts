import { describe, it, expect, afterAll } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

// Real `saorsa-gossip network join` daemons on loopback TCP, each in its own home, with MLS groups
// driven only through the CLI (--json): A creates a group and invites B and C; a group message
// reaches B and C while a fourth daemon D, subscribed to the group's pubsub topic, sees only
// ciphertext; the same holds for `pubsub publish|subscribe --group`, which D is refused; B is removed
// and stops receiving; C restarts and keeps its membership and keys.

const BIN = fileURLToPath(new URL('../dist/cli/bin.js', import.meta.url))
const ENV = { ...process.env, SAORSA_GOSSIP_PASSPHRASE: 'groups test passphrase' }
/** Generous: four daemons start ML-DSA and MLS suites at once, and the test machine may be shared. */
const JOIN_MS = 45_000
const STEP_MS = 120_000

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
  procs.push(proc)
  return proc
}

async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000, context?: Proc): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${context === undefined ? '' : `; output:\n${context.lines.join('\n')}`}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

async function cli(home: string, ...args: string[]): Promise<{ code: number | null; out: string; json: unknown }> {
  const p = run(['--home', home, '--json', ...args])
  const code = await p.exited
  const out = p.lines.filter((l) => !l.startsWith('stderr:')).join('\n')
  let json: unknown
  try {
    json = JSON.parse(out)
  } catch {
    json = undefined
  }
  return { code, out: p.lines.join('\n'), json }
}

async function ok<T>(home: string, ...args: string[]): Promise<T> {
  const r = await cli(home, ...args)
  if (r.code !== 0) throw new Error(`'${args.join(' ')}' exited ${r.code}:\n${r.out}`)
  return r.json as T
}

const homes: string[] = []
const procs: Proc[] = []
afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL')
  for (const h of homes) await rm(h, { recursive: true, force: true })
})

function startDaemon(home: string, bootstrap?: string, ...extra: string[]): Proc {
  const args = ['--home', home, '--json', 'network', 'join', '--bind', 'tcp://127.0.0.1:0', '--preset', 'local', ...extra]
  if (bootstrap !== undefined) args.push('--bootstrap', bootstrap)
  return run(args)
}

const eventOf = (p: Proc, name: string) => p.events.find((e) => e.event === name)
const text = (m: Record<string, unknown>) => Buffer.from(m.payload as string, 'base64').toString()

interface GroupJson { groupId: string; epoch: number; members: number; name?: string }

describe('MLS groups across CLI daemons over loopback TCP', () => {
  const [A, B, C, D] = [0, 1, 2, 3]
  const daemons: Proc[] = []
  const ids: string[] = []
  let addr = ''
  let groupId = ''
  const epochOf = async (i: number) => ((await ok<GroupJson[]>(homes[i]!, 'group', 'list')).find((g) => g.groupId === groupId)?.epoch)

  it('start four daemons joined through the first', async () => {
    for (let i = 0; i < 4; i++) homes.push(await mkdtemp(join(tmpdir(), `sg-g${i}-`)))
    daemons.push(startDaemon(homes[A]!))
    const first = await until('daemon A to listen', () => eventOf(daemons[A]!, 'listening'), JOIN_MS, daemons[A])
    addr = (first.addrs as string[])[0]!
    ids.push(first.peerId as string)
    // D keeps itself off rendezvous as an invitee; the others provide their key-package records.
    for (const i of [B, C, D]) daemons.push(i === D ? startDaemon(homes[i]!, addr, '--hide-key-package-record') : startDaemon(homes[i]!, addr))
    for (const i of [B, C, D]) {
      await until(`daemon ${i} to join`, () => eventOf(daemons[i]!, 'joined'), JOIN_MS, daemons[i])
      ids.push(eventOf(daemons[i]!, 'listening')!.peerId as string)
    }
    expect((await ok<Array<{ name?: string }>>(homes[B]!, 'rendezvous', 'providing')).map((r) => r.name)).toEqual([`saorsa-gossip/key-package/v1/${ids[B]}`])
    expect(await ok(homes[D]!, 'rendezvous', 'providing')).toEqual([])
  }, STEP_MS)

  it('A creates a named group and invites B and C through the CLI', async () => {
    const created = await ok<GroupJson>(homes[A]!, 'group', 'create', 'team')
    groupId = created.groupId
    expect(created).toMatchObject({ name: 'team', epoch: 0, members: 1 })
    expect((await ok<GroupJson>(homes[A]!, 'group', 'invite', 'team', ids[B]!)).members).toBe(2)
    expect((await ok<GroupJson>(homes[A]!, 'group', 'invite', 'team', ids[C]!)).members).toBe(3)
    // C joins from its Welcome straight into epoch 2 (B follows by processing the commit adding C).
    await until('C to join', async () => (await epochOf(C)) === 2)
    const members = await ok<Array<{ peerId: string; self: boolean }>>(homes[C]!, 'group', 'members', groupId.slice(0, 12))
    expect(members.map((m) => m.peerId).sort()).toEqual([ids[A], ids[B], ids[C]].sort())
    expect(members.find((m) => m.self)?.peerId).toBe(ids[C])
    // D is not a member: naming the group there is a typed error, not a crash.
    const refused = await cli(homes[D]!, 'group', 'members', groupId)
    expect(refused.code).not.toBe(0)
    expect(refused.out).toMatch(/UnknownGroupError/)
  }, STEP_MS)

  const listeners: Proc[] = []
  let raw: Proc

  /** Sends `label #n` from A until every reader printed one: a listener's stream may still be opening. */
  async function sendUntilRead(label: string, readers: Proc[]): Promise<void> {
    let n = 0
    await until(`${label} to be read`, async () => {
      if (readers.every((r) => r.events.some((e) => e.from === ids[A] && text(e).startsWith(label)))) return true
      await ok(homes[A]!, 'group', 'send', 'team', `${label} #${n++}`)
      await new Promise((r) => setTimeout(r, 500))
      return false
    }, 30_000, readers[0])
  }

  it('a message from A is read by B and C; D on the raw group topic sees only ciphertext', async () => {
    for (const i of [B, C]) listeners[i] = run(['--home', homes[i]!, '--json', 'group', 'listen', groupId])
    raw = run(['--home', homes[D]!, '--json', 'pubsub', 'subscribe', '--topic', `saorsa-gossip/group/v1/${groupId}`])
    await until('D to subscribe to the group topic', async () => ((await ok<string[]>(homes[D]!, 'pubsub', 'list')).length === 1))
    await sendUntilRead('first secret', [listeners[B]!, listeners[C]!])
    const seen = await until('D to receive the ciphertext', () => raw.events.find((e) => e.origin === ids[A]), 20_000, raw)
    expect(Buffer.from(seen.payload as string, 'base64').includes(Buffer.from('secret'))).toBe(false)
    // The listeners saw exactly what A sent, in order, and nothing else.
    for (const i of [B, C]) expect(listeners[i]!.events.every((e) => e.groupId === groupId && text(e).startsWith('first secret #'))).toBe(true)
  }, STEP_MS)

  it('pubsub publish --group from A is read by B and C through pubsub subscribe --group; D is refused and sees ciphertext', async () => {
    const subscribers = [B, C].map((i) => run(['--home', homes[i]!, '--json', 'pubsub', 'subscribe', '--group', groupId.slice(0, 16)]))
    const refused = await cli(homes[D]!, 'pubsub', 'subscribe', '--group', groupId)
    expect(refused.code).not.toBe(0)
    expect(refused.out).toMatch(/UnknownGroupError/)
    const before = raw.events.length
    let published: Record<string, unknown> | undefined
    let n = 0
    await until('the --group message to be read', async () => {
      if (subscribers.every((r) => r.events.some((e) => e.origin === ids[A] && text(e).startsWith('pubsub secret')))) return true
      published = await ok<Record<string, unknown>>(homes[A]!, 'pubsub', 'publish', '--group', 'team', '--message', `pubsub secret #${n++}`)
      await new Promise((r) => setTimeout(r, 500))
      return false
    }, 30_000, subscribers[0])
    const topic = `saorsa-gossip/group/v1/${groupId}`
    expect(published).toMatchObject({ topic, group: groupId, epoch: 2 })
    expect(published!.id).toMatch(/^[0-9a-f]{64}$/)
    expect(typeof published!.sentTo).toBe('number')
    for (const r of subscribers) {
      const m = r.events.find((e) => e.origin === ids[A] && text(e).startsWith('pubsub secret'))!
      // The plain `pubsub subscribe` event, decrypted, plus the group and the epoch it was sealed in.
      expect(Object.keys(m).sort()).toEqual(['epoch', 'from', 'group', 'hops', 'id', 'origin', 'payload', 'seq', 'timestampMs', 'topic'])
      expect(m).toMatchObject({ topic, group: groupId, epoch: 2 })
    }
    // D, not a member, receives the same messages on the raw topic as ciphertext only.
    await until('D to receive the published ciphertext', () => raw.events.length > before, 20_000, raw)
    expect(raw.events.slice(before).some((e) => Buffer.from(e.payload as string, 'base64').includes(Buffer.from('pubsub secret')))).toBe(false)
    for (const r of subscribers) r.child.kill('SIGINT')
  }, STEP_MS)

  it('after removing B, C reads the next message and B does not', async () => {
    const after = await ok<GroupJson>(homes[A]!, 'group', 'remove', 'team', ids[B]!)
    expect(after).toMatchObject({ epoch: 3, members: 2 })
    // B processes its own removal: its listen stream ends and the group is gone from its list.
    await listeners[B]!.exited
    expect(await epochOf(B)).toBeUndefined()
    const fromA = () => raw.events.filter((e) => e.origin === ids[A])
    const before = fromA().length
    await sendUntilRead('second secret', [listeners[C]!])
    expect(listeners[B]!.events.some((e) => text(e).startsWith('second secret'))).toBe(false)
    expect((await ok<{ epochs: number }>(homes[C]!, 'group', 'stats')).epochs).toBeGreaterThanOrEqual(1)
    // The raw topic still carries the new messages to D, as ciphertext under keys B no longer has either.
    await until('D to receive the second ciphertext', () => fromA().length > before, 20_000, raw)
    expect(fromA().some((e) => Buffer.from(e.payload as string, 'base64').includes(Buffer.from('secret')))).toBe(false)
  }, STEP_MS)

  it('C restarts and keeps its membership and keys', async () => {
    listeners[C]!.child.kill('SIGINT')
    await ok(homes[C]!, 'network', 'leave')
    await daemons[C]!.exited
    daemons[C] = startDaemon(homes[C]!, addr)
    await until('C to rejoin', () => eventOf(daemons[C]!, 'joined'), JOIN_MS, daemons[C])
    expect(await epochOf(C)).toBe(3)
    expect((await ok<Array<{ peerId: string }>>(homes[C]!, 'group', 'members', groupId)).map((m) => m.peerId).sort()).toEqual([ids[A], ids[C]].sort())
    listeners[C] = run(['--home', homes[C]!, '--json', 'group', 'listen', groupId])
    await sendUntilRead('after restart', [listeners[C]!])
  }, STEP_MS)
})
