import { describe, it, expect, afterAll } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

// Five real `saorsa-gossip network join` daemons on loopback TCP, each with its own home directory,
// driven only through the CLI: publish through one, read `pubsub subscribe` output on the others,
// kill one, watch the others detect it, restart it without --bootstrap (peer cache rejoin).

const BIN = fileURLToPath(new URL('../dist/cli/bin.js', import.meta.url))
const ENV = { ...process.env, SAORSA_GOSSIP_PASSPHRASE: 'daemon test passphrase' }

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

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 20_000, context?: Proc): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = probe()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${context === undefined ? '' : `; output:\n${context.lines.join('\n')}`}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function cli(home: string, ...args: string[]): Promise<{ code: number | null; out: string }> {
  const p = run(['--home', home, '--json', ...args])
  const code = await p.exited
  return { code, out: p.lines.join('\n') }
}

const homes: string[] = []
const procs: Proc[] = []
afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL')
  for (const h of homes) await rm(h, { recursive: true, force: true })
})

/** `pool`: the daemon checks pubsub signatures on worker threads (`--verifier pool`). */
function startDaemon(home: string, bootstrap?: string, pool = false): Proc {
  const args = ['--home', home, '--json', 'network', 'join', '--bind', 'tcp://127.0.0.1:0', '--preset', 'local']
  if (bootstrap !== undefined) args.push('--bootstrap', bootstrap)
  if (pool) args.push('--verifier', 'pool')
  const p = run(args)
  procs.push(p)
  return p
}

const eventOf = (p: Proc, name: string, pred: (e: Record<string, unknown>) => boolean = () => true) =>
  p.events.find((e) => e.event === name && pred(e))

describe('five CLI daemons over loopback TCP', () => {
  const daemons: Proc[] = []
  const ids: string[] = []
  const addrs: string[] = []
  const subscribers: Proc[] = []

  it('start, print their bound addresses and join through the first one', async () => {
    for (let i = 0; i < 5; i++) homes.push(await mkdtemp(join(tmpdir(), `sg-d${i}-`)))
    daemons.push(startDaemon(homes[0]!))
    const first = await until('daemon 0 to listen', () => eventOf(daemons[0]!, 'listening'))
    addrs.push((first.addrs as string[])[0]!)
    ids.push(first.peerId as string)
    // Two of them check signatures on worker threads: every message still reaches every daemon.
    for (let i = 1; i < 5; i++) daemons.push(startDaemon(homes[i]!, addrs[0], i % 2 === 1))
    for (let i = 1; i < 5; i++) {
      const ev = await until(`daemon ${i} to join`, () => eventOf(daemons[i]!, 'joined'), 20_000, daemons[i])
      expect(ev.activePeers).toBeGreaterThanOrEqual(1)
      ids.push(eventOf(daemons[i]!, 'listening')!.peerId as string)
    }
    expect(new Set(ids).size).toBe(5)
  })

  it('deliver a message published through one CLI call to every other daemon\'s subscribe output', async () => {
    for (let i = 1; i < 5; i++) {
      const sub = run(['--home', homes[i]!, '--json', 'pubsub', 'subscribe', '--topic', 'lobby'])
      procs.push(sub)
      subscribers.push(sub)
    }
    // The subscription is live once each daemon lists the topic.
    for (let i = 1; i < 5; i++) {
      const deadline = Date.now() + 20_000
      while (!(JSON.parse((await cli(homes[i]!, 'pubsub', 'list')).out || '[]') as string[]).includes('lobby')) {
        if (Date.now() > deadline) throw new Error(`daemon ${i} never listed the topic`)
        await new Promise((r) => setTimeout(r, 100))
      }
    }
    const published = await cli(homes[0]!, 'pubsub', 'publish', '--topic', 'lobby', '--message', 'hello from daemon 0')
    expect(published.code).toBe(0)
    for (const [k, sub] of subscribers.entries()) {
      const got = await until(`subscriber ${k + 1} to print the message`, () => sub.events.find((e) => e.topic === 'lobby'))
      expect(Buffer.from(got.payload as string, 'base64').toString()).toBe('hello from daemon 0')
      expect(got.origin).toBe(ids[0])
    }
  })

  it('answer status, peers and topic list through the control socket', async () => {
    const status = JSON.parse((await cli(homes[1]!, 'network', 'status')).out) as Record<string, unknown>
    expect(status.peerId).toBe(ids[1])
    expect(status.activePeers as number).toBeGreaterThanOrEqual(1)
    const topics = JSON.parse((await cli(homes[1]!, 'pubsub', 'list')).out) as string[]
    expect(topics).toEqual(['lobby'])
    const peers = JSON.parse((await cli(homes[1]!, 'network', 'peers')).out) as Array<{ peerId: string }>
    expect(peers.some((p) => ids.includes(p.peerId))).toBe(true)
    // A second daemon on the same home directory is refused before it binds anything.
    const second = await cli(homes[1]!, 'network', 'join', '--bind', 'tcp://127.0.0.1:0')
    expect(second.code).toBe(6)
    expect(second.out).toMatch(/NodeAlreadyRunningError/)
  })

  it('detect a killed daemon', async () => {
    const victim = 4
    const victimId = ids[victim]!
    const neighbours = daemons.filter((d, i) => i !== victim && eventOf(d, 'peer:up', (e) => e.peerId === victimId) !== undefined)
    expect(neighbours.length).toBeGreaterThanOrEqual(1)
    // Only reports made after the kill count.
    const seenBefore = neighbours.map((d) => d.events.length)
    subscribers[victim - 1]!.child.kill('SIGKILL')
    daemons[victim]!.child.kill('SIGKILL')
    await daemons[victim]!.exited
    for (const [k, d] of neighbours.entries()) {
      await until('a neighbour to report the victim down', () =>
        d.events.slice(seenBefore[k]).find((e) => e.event === 'peer:down' && e.peerId === victimId))
    }
    const status = JSON.parse((await cli(homes[0]!, 'network', 'peers')).out) as Array<{ peerId: string; health?: string }>
    expect(status.filter((p) => p.peerId === victimId && p.health !== 'dead')).toEqual([])
  })

  it('rejoin from the peer cache after a restart without --bootstrap', async () => {
    const restarted = startDaemon(homes[4]!)
    daemons[4] = restarted
    const ev = await until('the restarted daemon to rejoin', () => eventOf(restarted, 'joined'), 20_000, restarted)
    expect(ev.activePeers as number).toBeGreaterThanOrEqual(1)
    expect(eventOf(restarted, 'listening')!.peerId).toBe(ids[4])
    // Back in the overlay for real: a message published elsewhere reaches it again.
    // (Anti-entropy may first hand it the messages it missed while it was down.)
    const sub = run(['--home', homes[4]!, '--json', 'pubsub', 'subscribe', '--topic', 'lobby'])
    procs.push(sub)
    const deadline = Date.now() + 20_000
    while (!(JSON.parse((await cli(homes[4]!, 'pubsub', 'list')).out || '[]') as string[]).includes('lobby')) {
      if (Date.now() > deadline) throw new Error(`the restarted daemon never listed the topic; subscriber said:\n${sub.lines.join('\n')}`)
      await new Promise((r) => setTimeout(r, 100))
    }
    expect((await cli(homes[1]!, 'pubsub', 'publish', '--topic', 'lobby', '--message', 'welcome back')).code).toBe(0)
    const got = await until('the restarted daemon to receive a new message', () =>
      sub.events.find((e) => Buffer.from(String(e.payload), 'base64').toString() === 'welcome back'), 20_000, sub)
    expect(got.origin).toBe(ids[1])
    sub.child.kill('SIGINT')
    expect(await sub.exited).toBe(130)
  })

  it('leave cleanly on request and report that no node is running afterwards', async () => {
    const left = await cli(homes[3]!, 'network', 'leave')
    expect(left.code).toBe(0)
    expect(await daemons[3]!.exited).toBe(0)
    const after = await cli(homes[3]!, 'network', 'status')
    expect(after.code).toBe(3)
  })
})
