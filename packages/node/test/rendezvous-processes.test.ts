/**
 * Rendezvous across real processes over loopback TCP: three `saorsa-gossip network join` daemons in
 * their own homes (one with `--serve-rendezvous`, two told about it with `--rendezvous-server`),
 * driven only through the CLI with `--json`. One provides a target, the other seeks it; the hinted
 * address is dialled by the seeking daemon (`seek --connect`) and answers as the provider's PeerId; after
 * `withdraw` the seek comes back empty.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { toHex } from '@saorsa-gossip/types'
import { targetFromName } from '@saorsa-gossip/rendezvous'

const BIN = fileURLToPath(new URL('../dist/cli/bin.js', import.meta.url))
const ENV = { ...process.env, SAORSA_GOSSIP_PASSPHRASE: 'rendezvous process test' }

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
        // Not JSON: kept in `lines` for failure messages.
      }
    }
  })
  child.stderr!.on('data', (d: Buffer) => proc.lines.push(`stderr: ${d.toString().trim()}`))
  return proc
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000, context?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${context === undefined ? '' : `:\n${context()}`}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** One CLI call with --json: its exit code and the JSON objects it printed. */
async function cli(home: string, ...args: string[]): Promise<{ code: number | null; json: Array<Record<string, unknown>>; text: string }> {
  const p = run(['--home', home, '--json', ...args])
  const code = await p.exited
  return { code, json: p.events, text: p.lines.join('\n') }
}

const homes: string[] = []
const procs: Proc[] = []
afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL')
  await Promise.all(procs.map((p) => p.exited))
  for (const h of homes) await rm(h, { recursive: true, force: true })
})

function daemon(home: string, extra: string[]): Proc {
  const p = run(['--home', home, '--json', 'network', 'join', '--bind', 'tcp://127.0.0.1:0', '--preset', 'local', ...extra])
  procs.push(p)
  return p
}

const eventOf = (p: Proc, name: string) => p.events.find((e) => e.event === name)
/** How `rendezvous providing` lists a daemon's own key-package record (SPEC.md 10.3). */
const keyPackageRecord = (peerId: string) => {
  const name = `saorsa-gossip/key-package/v1/${peerId}`
  return { target: toHex(targetFromName(name)), name, shard: expect.any(Number) }
}

describe('rendezvous between three CLI daemons over loopback TCP', () => {
  const target = 'site.example'
  const targetHex = toHex(targetFromName(target))
  let server: { id: string; addr: string }
  let provider: { id: string; addr: string; home: string }
  let seekerHome: string

  it('start a serving daemon and two daemons that know it as their rendezvous server', async () => {
    for (let i = 0; i < 3; i++) homes.push(await mkdtemp(join(tmpdir(), `sg-rv${i}-`)))
    const s = daemon(homes[0]!, ['--serve-rendezvous'])
    const listening = await until('the server to listen', () => eventOf(s, 'listening'), 20_000, () => s.lines.join('\n'))
    server = { id: listening.peerId as string, addr: (listening.addrs as string[])[0]! }
    const others = [1, 2].map((i) => daemon(homes[i]!, ['--bootstrap', server.addr, '--rendezvous-server', server.id]))
    for (const d of others) await until('a daemon to join', () => eventOf(d, 'joined'), 20_000, () => d.lines.join('\n'))
    const p = eventOf(others[0]!, 'listening')!
    provider = { id: p.peerId as string, addr: (p.addrs as string[])[0]!, home: homes[1]! }
    seekerHome = homes[2]!
  })

  it('provide through one CLI, find it through another, and reach the provider at the hinted address', async () => {
    const provided = await cli(provider.home, 'rendezvous', 'provide', target, '--capability', 'site')
    expect(provided.code, provided.text).toBe(0)
    expect(provided.json[0]).toMatchObject({ target: targetHex, provider: provider.id, capabilities: ['SITE'], addressHints: [provider.addr] })
    const listed = cli(provider.home, 'rendezvous', 'providing')

    // The registration travels as a one-way message: poll the seek until the server has it.
    const found = await until('the seeker to find the provider', async () => {
      const r = await cli(seekerHome, 'rendezvous', 'seek', target, '--capability', 'SITE')
      return r.code === 0 ? r.json : undefined
    })
    expect(found).toHaveLength(1)
    expect(found[0]).toMatchObject({ provider: provider.id, target: targetHex, capabilities: ['SITE'] })
    const hint = (found[0]!.addressHints as string[])[0]!
    expect(hint).toBe(provider.addr)
    const status = cli(homes[0]!, 'rendezvous', 'status')

    // The seeking daemon dials the hint itself: its handshake proves the provider's key is there.
    const reached = await cli(seekerHome, 'rendezvous', 'seek', target, '--capability', 'SITE', '--connect')
    expect(reached.code, reached.text).toBe(0)
    expect(reached.json[0]).toMatchObject({ provider: provider.id, reached: { addr: provider.addr, rttMs: expect.any(Number) } })
    // Beside it, each daemon provides its key-package record (SPEC.md 10.3) from the start.
    const providing = (await listed).json[0] as unknown as unknown[]
    expect(providing).toHaveLength(2)
    expect(providing).toEqual(expect.arrayContaining([{ target: targetHex, name: target, shard: expect.any(Number) }, keyPackageRecord(provider.id)]))
    // The server holds the target and key-package records: its own, and those of the daemons registered by now.
    const stored = (await status).json[0]!.stored as number
    expect(stored).toBeGreaterThanOrEqual(2)
    expect(stored).toBeLessThanOrEqual(4)
  })

  it('withdraw through the CLI: the seek comes back empty (exit 4) and the provider lists only its key-package record', async () => {
    const withdrawn = await cli(provider.home, 'rendezvous', 'withdraw', target)
    expect(withdrawn.code).toBe(0)
    expect(withdrawn.json[0]).toEqual({ target: targetHex, withdrawn: true })
    const empty = await until('the seek to come back empty', async () => {
      const r = await cli(seekerHome, 'rendezvous', 'seek', target)
      return r.code === 4 ? r : undefined
    })
    expect(empty.json).toEqual([])
    const [listed, again, badLimit, badServer] = await Promise.all([
      cli(provider.home, 'rendezvous', 'providing'),
      cli(provider.home, 'rendezvous', 'withdraw', target),
      cli(seekerHome, 'rendezvous', 'seek', target, '--limit', '0'),
      // Checked before any identity is unlocked or port bound.
      cli(seekerHome, 'network', 'join', '--rendezvous-server', 'abc'),
    ])
    expect(listed.json[0]).toEqual([keyPackageRecord(provider.id)])
    expect(again.code).toBe(4)
    expect(badLimit.code).toBe(2)
    expect(badServer.code).toBe(2)
  })
})
