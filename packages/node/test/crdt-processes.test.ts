/**
 * crdt-sync across real processes: three `saorsa-gossip network join` daemons on loopback TCP, each
 * in its own home, driven only through the CLI (`--json`). All three edit one map and one text
 * document at the same time and end equal; one is killed with SIGKILL right after an acknowledged
 * edit, the others keep editing, and the restarted daemon reopens its documents from its store,
 * catches up by anti-entropy and still holds (and spreads) the edit it acknowledged before dying.
 * `crdt watch` on another daemon prints the text and then the remote edits as they arrive.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const BIN = fileURLToPath(new URL('../dist/cli/bin.js', import.meta.url))
const ENV = { ...process.env, SAORSA_GOSSIP_PASSPHRASE: 'crdt process test passphrase' }

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

async function until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** One CLI call in --json mode: its exit code and the parsed result line. */
async function cli(home: string, ...args: string[]): Promise<{ code: number | null; json: Record<string, unknown> | undefined; out: string }> {
  const p = run(['--home', home, '--json', ...args])
  const code = await p.exited
  return { code, json: p.events.at(-1), out: p.lines.join('\n') }
}

async function ok(home: string, ...args: string[]): Promise<Record<string, unknown>> {
  const r = await cli(home, ...args)
  if (r.code !== 0) throw new Error(`saorsa-gossip ${args.join(' ')} exited ${r.code}: ${r.out}`)
  return r.json!
}

const homes: string[] = []
const daemons: Proc[] = []
afterAll(async () => {
  for (const p of daemons) if (p.child.exitCode === null) p.child.kill('SIGKILL')
  for (const h of homes) await rm(h, { recursive: true, force: true })
})

function startDaemon(home: string, bootstrap?: string): Proc {
  const args = ['--home', home, '--json', 'network', 'join', '--bind', 'tcp://127.0.0.1:0', '--preset', 'local']
  if (bootstrap !== undefined) args.push('--bootstrap', bootstrap)
  const p = run(args)
  daemons.push(p)
  return p
}

const eventOf = (p: Proc, name: string) => p.events.find((e) => e.event === name)

describe('three CLI daemons editing one document over loopback TCP', () => {
  it('converge after concurrent edits, and a SIGKILLed daemon restarts with its acknowledged edit and catches up', async () => {
    for (let i = 0; i < 3; i++) homes.push(await mkdtemp(join(tmpdir(), `sg-crdt${i}-`)))
    const first = startDaemon(homes[0]!)
    const listening = await until('daemon 0 to listen', () => eventOf(first, 'listening'))
    const bootstrap = (listening.addrs as string[])[0]!
    startDaemon(homes[1]!, bootstrap)
    let third = startDaemon(homes[2]!, bootstrap)
    for (const [i, d] of daemons.entries()) await until(`daemon ${i} to join`, () => i === 0 || eventOf(d, 'joined'))

    for (const home of homes) {
      await ok(home, 'crdt', 'open', 'notes', '--type', 'map')
      await ok(home, 'crdt', 'open', 'essay', '--type', 'text')
    }
    // Concurrent edits, one process per edit, all acknowledged (on disk) before the CLI exits.
    await Promise.all(homes.flatMap((home, i) => [
      ok(home, 'crdt', 'set', 'notes', `from-${i}`, `value ${i}`),
      ok(home, 'crdt', 'insert', 'essay', '0', `<${i}>`),
    ]))
    const get = async (home: string, doc: string) => (await cli(home, 'crdt', 'get', doc)).json
    const equalEverywhere = async (doc: string, check: (value: unknown) => boolean) => until(`all three to agree on ${doc}`, async () => {
      const views = await Promise.all(homes.map((h) => get(h, doc)))
      const values = views.map((v) => JSON.stringify(v?.value))
      return new Set(values).size === 1 && check(views[0]!.value) ? views[0]!.value : undefined
    }, 30_000)
    const notes = await equalEverywhere('notes', (v) => Object.keys(v as object).length === 3)
    expect(notes).toEqual({ 'from-0': 'value 0', 'from-1': 'value 1', 'from-2': 'value 2' })
    const essay = await equalEverywhere('essay', (v) => (v as string).length === 9)
    for (const i of [0, 1, 2]) expect(essay as string).toContain(`<${i}>`)

    // A watcher on daemon 0 prints the text now and after every change.
    const watch = run(['--home', homes[0]!, '--json', 'crdt', 'watch', 'essay'])
    daemons.push(watch)
    await until('the watcher to print the current text', () => watch.events.find((e) => e.change === 'current' && e.value === essay))

    // An acknowledged edit, then SIGKILL at once: it may not even have been published.
    await ok(homes[2]!, 'crdt', 'set', 'notes', 'last-words', 'kept')
    third.child.kill('SIGKILL')
    await third.exited
    await ok(homes[0]!, 'crdt', 'set', 'notes', 'while-down', 'yes')
    await ok(homes[1]!, 'crdt', 'insert', 'essay', '0', '[1 again]')
    await until('the watcher to print the remote edit', () => watch.events.find((e) => e.change === 'remote' && (e.value as string).startsWith('[1 again]')))
    watch.child.kill('SIGINT')

    third = startDaemon(homes[2]!, bootstrap)
    await until('daemon 2 to rejoin', () => eventOf(third, 'joined'))
    // The restarted node reopened both documents from its manifest and store, without an `open`.
    const listed = await until('the documents listed after restart', async () => {
      const r = await cli(homes[2]!, 'crdt', 'list')
      return r.code === 0 ? r.json : undefined
    })
    expect(listed).toEqual(expect.arrayContaining([{ doc: 'notes', type: 'map' }, { doc: 'essay', type: 'text' }]))
    const finalNotes = await equalEverywhere('notes', (v) => Object.keys(v as object).length === 5)
    expect(finalNotes).toMatchObject({ 'last-words': 'kept', 'while-down': 'yes' })
    await equalEverywhere('essay', (v) => (v as string).startsWith('[1 again]'))
  }, 180_000)
})
