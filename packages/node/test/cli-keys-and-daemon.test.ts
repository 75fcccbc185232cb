import { describe, it, expect, afterAll } from 'vitest'
import { PassThrough } from 'node:stream'
import { createServer, type Server } from 'node:net'
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main } from '../src/cli/main.ts'
import type { CliIO } from '../src/cli/context.ts'
import { EXIT } from '../src/cli/exit-codes.ts'
import { humanLogLine, createCliLogger, cliLogSettings } from '../src/cli/log.ts'

// Identity safety (confirm, weak warning, delete confirmation, export/import), the daemon's checks
// before it creates anything, publish/subscribe wording, and the log formats: exit codes and the
// exact first line of each message.

type TestIO = CliIO & { out: () => string; err: () => string; type: (text: string) => void }

function io(env: Record<string, string> = {}, options: { tty?: boolean; interrupt?: AbortSignal } = {}): TestIO {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  const stdin = new PassThrough() as PassThrough & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown }
  if (options.tty === true) {
    stdin.isTTY = true
    stdin.setRawMode = () => stdin
  }
  let out = ''
  let err = ''
  stdout.on('data', (d) => { out += d })
  stderr.on('data', (d) => { err += d })
  return {
    stdout, stderr, stdin, env, interrupt: options.interrupt ?? new AbortController().signal,
    out: () => out, err: () => err, type: (text) => { stdin.write(text) },
  }
}

const firstLine = (text: string) => text.split('\n')[0]
/** The first `error:` line; on a terminal the prompt's typed answer (echoed there, not here) ends the prompt line. */
const errorLine = (text: string) => text.slice(text.indexOf('error:')).split('\n')[0]
const ENV = { SAORSA_GOSSIP_PASSPHRASE: 'a long enough test passphrase' }
const homes: string[] = []
async function home(): Promise<string> {
  const h = await mkdtemp(join(tmpdir(), 'sg-keys-'))
  homes.push(h)
  return h
}
afterAll(async () => {
  for (const h of homes) await rm(h, { recursive: true, force: true })
})

async function until(what: string, probe: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('identity safety', () => {
  it('asks twice on a terminal and refuses two different passphrases', async () => {
    const h = await home()
    const t = io({}, { tty: true })
    const run = main(['--home', h, 'identity', 'create', 'alice'], t)
    await until('the first prompt', () => t.err().includes('New passphrase'))
    t.type('correct horse battery staple\r')
    await until('the second prompt', () => t.err().includes('Repeat the passphrase'))
    t.type('correct horse battery stapel\r')
    expect(await run).toBe(EXIT.usage)
    expect(errorLine(t.err())).toBe('error: the two passphrases differ; nothing was created')
    expect(await readdir(join(h, 'keystore'))).toEqual([])
  })

  it('warns about a passphrase shorter than 12 characters and states the rule', async () => {
    const h = await home()
    const t = io({ SAORSA_GOSSIP_PASSPHRASE: 'abc' })
    expect(await main(['--home', h, 'identity', 'create', 'short'], t)).toBe(EXIT.ok)
    expect(firstLine(t.err())).toBe('warning: the passphrase is shorter than 12 characters; anyone holding a copy of the key file can guess short passphrases offline. Use 12 or more (several unrelated words).')
    const strong = io(ENV)
    expect(await main(['--home', h, 'identity', 'create', 'strong'], strong)).toBe(EXIT.ok)
    expect(strong.err()).toBe('')
  })

  it('deletes only with --force or the typed alias', async () => {
    const h = await home()
    expect(await main(['--home', h, 'identity', 'create', 'bob'], io(ENV))).toBe(EXIT.ok)
    const piped = io()
    expect(await main(['--home', h, 'identity', 'delete', 'bob'], piped)).toBe(EXIT.usage)
    expect(firstLine(piped.err())).toBe("error: refusing to delete identity 'bob' without confirmation: pass --force (after 'saorsa-gossip identity export bob <file>' if you need it again)")
    const wrong = io({}, { tty: true })
    const asking = main(['--home', h, 'identity', 'delete', 'bob'], wrong)
    await until('the confirmation prompt', () => wrong.err().includes('Type the alias'))
    wrong.type('yes\n')
    expect(await asking).toBe(EXIT.usage)
    expect(errorLine(wrong.err())).toBe("error: confirmation did not match 'bob'; nothing was deleted")
    const typed = io({}, { tty: true })
    const confirming = main(['--home', h, 'identity', 'delete', 'bob'], typed)
    await until('the confirmation prompt', () => typed.err().includes('Type the alias'))
    typed.type('bob\n')
    expect(await confirming).toBe(EXIT.ok)
    expect(await main(['--home', h, 'identity', 'show', 'bob'], io())).toBe(EXIT.notFound)
    expect(await main(['--home', h, 'identity', 'create', 'carol'], io(ENV))).toBe(EXIT.ok)
    const forced = io()
    expect(await main(['--home', h, 'identity', 'delete', 'carol', '--force'], forced)).toBe(EXIT.ok)
    expect(forced.out()).toBe('Deleted identity: carol\n')
  })

  it('exports the encrypted key file and imports it into another home with the same PeerId', async () => {
    const a = await home()
    const b = await home()
    const created = io(ENV)
    expect(await main(['--home', a, '--json', 'identity', 'create', 'laptop'], created)).toBe(EXIT.ok)
    const { peerId } = JSON.parse(created.out()) as { peerId: string }
    const backup = join(b, 'laptop-backup.key')
    const exported = io()
    expect(await main(['--home', a, 'identity', 'export', 'laptop', backup], exported)).toBe(EXIT.ok)
    expect(firstLine(exported.out())).toBe(`Exported identity 'laptop' (PeerId ${peerId}) to ${backup}, encrypted`)
    // The backup is the keystore file byte for byte: encrypted, never the plaintext key.
    expect(Buffer.compare(await readFile(backup), await readFile(join(a, 'keystore', 'laptop.key')))).toBe(0)
    const again = io()
    expect(await main(['--home', a, 'identity', 'export', 'laptop', backup], again)).toBe(EXIT.usage)
    expect(firstLine(again.err())).toBe(`error: ${backup} already exists; choose another file name`)
    const imported = io()
    expect(await main(['--home', b, '--json', 'identity', 'import', backup, 'laptop'], imported)).toBe(EXIT.ok)
    expect(JSON.parse(imported.out())).toMatchObject({ alias: 'laptop', peerId })
    const twice = io()
    expect(await main(['--home', b, 'identity', 'import', backup, 'laptop'], twice)).toBe(EXIT.usage)
    expect(firstLine(twice.err())).toBe("error: identity 'laptop' already exists; pass --force to replace it, or give another alias")
    const junk = join(b, 'junk.key')
    await writeFile(junk, 'not a key file')
    const bad = io()
    expect(await main(['--home', b, 'identity', 'import', junk], bad)).toBe(EXIT.failure)
    expect(firstLine(bad.err())).toMatch(/^error: keystore file corrupt: /)
  })
})

describe('network join checks before it creates anything', () => {
  let busy: Server
  afterAll(() => new Promise<void>((r) => busy.close(() => r())))

  it('reports a port in use clearly and leaves no new identity behind', async () => {
    busy = createServer()
    await new Promise<void>((r) => busy.listen({ host: '127.0.0.1', port: 0 }, () => r()))
    const port = (busy.address() as { port: number }).port
    const h = await home()
    const t = io(ENV)
    expect(await main(['--home', h, 'network', 'join', '--bind', `tcp://127.0.0.1:${port}`], t)).toBe(EXIT.failure)
    expect(firstLine(t.err())).toBe(`error: cannot listen on 127.0.0.1:${port}: the address is already in use by another process; choose another --bind port`)
    expect(await readdir(join(h, 'keystore'))).toEqual([])
  })

  it('exits 2 on a malformed --bind address', async () => {
    const h = await home()
    const t = io(ENV)
    expect(await main(['--home', h, 'network', 'join', '--bind', 'tcp://999.1.1.1:99999'], t)).toBe(EXIT.usage)
    expect(firstLine(t.err())).toBe("error: address 'tcp://999.1.1.1:99999' has an invalid IPv4 host")
    expect(await readdir(join(h, 'keystore'))).toEqual([])
  })

  it('names config.json and its valid keys for a misspelled key', async () => {
    const h = await home()
    await main(['--home', h, 'identity', 'list'], io())
    await writeFile(join(h, 'config.json'), '{"bootstrapp": []}')
    const t = io(ENV)
    expect(await main(['--home', h, 'network', 'join'], t)).toBe(EXIT.failure)
    expect(firstLine(t.err())).toBe(`error: ${join(h, 'config.json')}: bootstrapp: unknown field (valid keys: identity, listen, announce, bootstrap, preset, logLevel, verifier)`)
  })
})

describe('pubsub through a daemon', () => {
  it('refuses empty stdin, and a subscriber exits 3 saying why when the daemon leaves', async () => {
    const h = await home()
    const stopDaemon = new AbortController()
    const daemon = io(ENV, { interrupt: stopDaemon.signal })
    const running = main(['--home', h, '--json', 'network', 'join', '--bind', 'tcp://127.0.0.1:0', '--preset', 'local'], daemon)
    try {
      await until('the daemon to listen', () => daemon.out().includes('"listening"'))
      const empty = io()
      const stdin = empty.stdin as PassThrough
      stdin.end()
      expect(await main(['--home', h, 'pubsub', 'publish', '--topic', 'chat'], empty)).toBe(EXIT.usage)
      expect(firstLine(empty.err())).toBe('error: empty message on stdin; nothing published')
      const sub = io()
      const subscribed = main(['--home', h, 'pubsub', 'subscribe', '--topic', 'chat'], sub)
      await until('the subscription', () => sub.out().includes("subscribed to 'chat'"))
      expect(await main(['--home', h, 'network', 'leave'], io())).toBe(EXIT.ok)
      expect(await subscribed).toBe(EXIT.noNode)
      expect(firstLine(sub.err())).toBe('error: the node stopped (it left the network or exited) after 0 messages')
      expect(await running).toBe(EXIT.ok)
    } finally {
      stopDaemon.abort()
      await running
    }
  })

  it('returns 130 when a subscriber is interrupted', async () => {
    const h = await home()
    const stopDaemon = new AbortController()
    const daemon = io(ENV, { interrupt: stopDaemon.signal })
    const running = main(['--home', h, '--json', 'network', 'join', '--bind', 'tcp://127.0.0.1:0', '--preset', 'local'], daemon)
    try {
      await until('the daemon to listen', () => daemon.out().includes('"listening"'))
      const ctrlC = new AbortController()
      const sub = io({}, { interrupt: ctrlC.signal })
      const subscribed = main(['--home', h, 'pubsub', 'subscribe', '--topic', 'chat'], sub)
      await until('the subscription', () => sub.out().includes("subscribed to 'chat'"))
      ctrlC.abort()
      expect(await subscribed).toBe(EXIT.interrupted)
      expect(sub.err()).toBe('')
    } finally {
      stopDaemon.abort()
      await running
    }
  })
})

describe('CLI logs', () => {
  it('formats records as one human line and never as JSON unless asked', () => {
    expect(humanLogLine({ level: 40, time: Date.UTC(2026, 0, 1, 12, 0, 0, 5), component: 'membership', msg: 'join failed', err: 'connection refused', contacts: 2 }))
      .toBe('12:00:00.005 WARN  membership: join failed  err="connection refused" contacts=2')
    const stream = new PassThrough()
    let text = ''
    stream.on('data', (d) => { text += d })
    const human = createCliLogger(cliLogSettings({ json: false, verbose: false, quiet: false, help: false }, { SAORSA_GOSSIP_LOG: 'info' }), stream)
    human.child({ component: 'pubsub' }).info({ topic: 'chat' }, 'joined topic')
    expect(text).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO  pubsub: joined topic {2}topic=chat\n$/)
    text = ''
    const json = createCliLogger(cliLogSettings({ json: false, verbose: false, quiet: false, help: false, logFormat: 'json' }, {}), stream)
    json.warn({ component: 'transport' }, 'dial failed')
    expect(JSON.parse(text)).toMatchObject({ level: 40, component: 'transport', msg: 'dial failed' })
  })

  it('takes the level from SAORSA_GOSSIP_LOG, below --verbose and --quiet, and rejects unknown levels', () => {
    const g = { json: false, verbose: false, quiet: false, help: false }
    expect(cliLogSettings(g, {}).level).toBe('warn')
    expect(cliLogSettings(g, {}, 'info').level).toBe('info')
    expect(cliLogSettings(g, { SAORSA_GOSSIP_LOG: 'debug' }, 'info').level).toBe('debug')
    expect(cliLogSettings({ ...g, quiet: true }, { SAORSA_GOSSIP_LOG: 'debug' }).level).toBe('error')
    expect(cliLogSettings({ ...g, json: true }, {}).format).toBe('json')
    expect(() => cliLogSettings(g, { SAORSA_GOSSIP_LOG: 'loud' })).toThrow("SAORSA_GOSSIP_LOG must be one of fatal, error, warn, info, debug, trace, silent, got 'loud'")
  })
})
