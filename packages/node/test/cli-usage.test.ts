import { describe, it, expect } from 'vitest'
import { PassThrough } from 'node:stream'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main } from '../src/cli/main.ts'
import type { CliIO } from '../src/cli/context.ts'
import { EXIT } from '../src/cli/exit-codes.ts'

// Exit codes and the exact first line of every usage and wording message of the CLI.

function io(env: Record<string, string> = {}): CliIO & { out: () => string; err: () => string } {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (d) => { out += d })
  stderr.on('data', (d) => { err += d })
  return { stdout, stderr, stdin: new PassThrough(), env, interrupt: new AbortController().signal, out: () => out, err: () => err }
}

const firstLine = (text: string) => text.split('\n')[0]

async function run(argv: string[], env: Record<string, string> = {}) {
  const t = io(env)
  const code = await main(argv, t)
  return { code, out: t.out(), err: t.err() }
}

describe('saorsa-gossip usage', () => {
  it('prints the version from package.json with --version and -V and exits 0', async () => {
    const { version } = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
    for (const flag of ['--version', '-V']) {
      const r = await run([flag])
      expect(r.code).toBe(EXIT.ok)
      expect(r.out).toBe(`saorsa-gossip ${version}\n`)
    }
  })

  it('prints usage to stderr and exits 2 when no command is named', async () => {
    for (const argv of [[], ['pubsub'], ['--json']]) {
      const r = await run(argv)
      expect(r.code).toBe(EXIT.usage)
      expect(r.out).toBe('')
      expect(firstLine(r.err)).toMatch(/^Usage: saorsa-gossip /)
    }
    const help = await run(['--help'])
    expect(help.code).toBe(EXIT.ok)
    expect(firstLine(help.out)).toBe('Usage: saorsa-gossip <group> <command> [options]')
  })

  it('names an unknown flag in its own words with matching quotes', async () => {
    const r = await run(['pubsub', 'publish', '--bogus'])
    expect(r.code).toBe(EXIT.usage)
    expect(firstLine(r.err)).toBe("error: unknown option '--bogus'; run 'saorsa-gossip pubsub publish --help'")
    const missing = await run(['pubsub', 'publish', '--topic'])
    expect(missing.code).toBe(EXIT.usage)
    expect(firstLine(missing.err)).toBe("error: option '--topic' needs a value; run 'saorsa-gossip pubsub publish --help'")
    const bad = await run(['--log-format', 'xml', 'network', 'status'])
    expect(bad.code).toBe(EXIT.usage)
    expect(firstLine(bad.err)).toBe("error: --log-format must be human or json, got 'xml'")
  })

  it('rejects a 300-byte topic with exit 2 before looking for a node', async () => {
    for (const command of ['publish', 'subscribe']) {
      const r = await run(['pubsub', command, '--topic', 'a'.repeat(300), '--message', 'x'].slice(0, command === 'publish' ? 6 : 4))
      expect(r.code).toBe(EXIT.usage)
      expect(firstLine(r.err)).toBe('error: --topic must be 1..256 bytes of UTF-8, got 300')
    }
  })

  it('pubsub --group: exit 2 with --topic beside it, an unknown group name, or an over-long group message', async () => {
    const home = await mkdtemp(join(tmpdir(), 'sg-usage-'))
    try {
      for (const command of ['publish', 'subscribe']) {
        const both = await run(['--home', home, 'pubsub', command, '--group', 'team', '--topic', 'chat', '--message', 'x'].slice(0, command === 'publish' ? 10 : 8))
        expect(both.code).toBe(EXIT.usage)
        expect(firstLine(both.err)).toBe('error: --topic and --group exclude each other: a group has one encrypted topic, which --group selects')
        const unknown = await run(['--home', home, 'pubsub', command, '-g', 'team', '-m', 'x'].slice(0, command === 'publish' ? 8 : 6))
        expect(unknown.code).toBe(EXIT.usage)
        expect(firstLine(unknown.err)).toBe("error: 'team' is neither a group name (see 'group list') nor at least 8 hex digits of a group id")
      }
      const long = await run(['--home', home, 'pubsub', 'publish', '--group', 'ab'.repeat(32), '--message', 'x'.repeat(65_281)])
      expect(long.code).toBe(EXIT.usage)
      expect(firstLine(long.err)).toBe('error: message over 65280 bytes (a group message)')
      const help = await run(['pubsub', 'subscribe', '--help'])
      expect(help.out).toMatch(/--group/)
      expect(help.out).toMatch(/one encrypted topic\n\(saorsa-gossip\/group\/v1\/<group id>/)
    } finally {
      await rm(home, { recursive: true })
    }
  })

  it('says --force for a duplicate alias and names an empty SAORSA_GOSSIP_PASSPHRASE', async () => {
    const home = await mkdtemp(join(tmpdir(), 'sg-usage-'))
    try {
      const env = { SAORSA_GOSSIP_PASSPHRASE: 'a long enough test passphrase' }
      expect((await run(['--home', home, 'identity', 'create', 'alice'], env)).code).toBe(EXIT.ok)
      const again = await run(['--home', home, 'identity', 'create', 'alice'], env)
      expect(again.code).toBe(EXIT.failure)
      expect(firstLine(again.err)).toBe("error: identity 'alice' already exists; pass --force to replace it (the old key is lost unless exported)")
      const empty = await run(['--home', home, 'identity', 'create', 'bob'], { SAORSA_GOSSIP_PASSPHRASE: '' })
      expect(empty.code).toBe(EXIT.usage)
      expect(firstLine(empty.err)).toBe('error: SAORSA_GOSSIP_PASSPHRASE is set but empty; set it to the passphrase, unset it to be prompted, or use --passphrase-file')
    } finally {
      await rm(home, { recursive: true })
    }
  })

  it('dashboard: exit 3 without a running node, exit 2 on a malformed --http address', async () => {
    const home = await mkdtemp(join(tmpdir(), 'sg-usage-'))
    try {
      const none = await run(['--home', home, 'dashboard', '--http', '127.0.0.1:0'])
      expect(none.code).toBe(EXIT.noNode)
      expect(firstLine(none.err)).toMatch(/^error: no node is running /)
      const bad = await run(['--home', home, 'dashboard', '--http', 'nowhere'])
      expect(bad.code).toBe(EXIT.usage)
      expect(firstLine(bad.err)).toBe("error: --http must be host:port, e.g. 127.0.0.1:9465, got 'nowhere'")
      const help = await run(['dashboard', '--help'])
      expect(firstLine(help.out)).toBe('Usage: saorsa-gossip dashboard [options]')
    } finally {
      await rm(home, { recursive: true })
    }
  })
})

describe('rendezvous command names', () => {
  it('takes the target as an argument or as --target, never both, and answers to publish and list too', async () => {
    const home = await mkdtemp(join(tmpdir(), 'sg-rdv-usage-'))
    try {
      const both = await run(['--home', home, 'rendezvous', 'seek', 'site', '--target', 'site'])
      expect(both.code).toBe(EXIT.usage)
      expect(firstLine(both.err)).toBe('error: give the target once: as <target> or as --target')
      const none = await run(['--home', home, 'rendezvous', 'publish'])
      expect(none.code).toBe(EXIT.usage)
      expect(firstLine(none.err)).toBe('error: <target> must be a name of 1..1024 characters or 64 hex digits')
      // Well-formed, so they get as far as the (absent) node: exit 3, not a usage error.
      for (const argv of [['rendezvous', 'publish', '--target', 'site'], ['rendezvous', 'seek', '--target', 'site'], ['rendezvous', 'list']]) {
        expect((await run(['--home', home, ...argv])).code).toBe(EXIT.noNode)
      }
    } finally {
      await rm(home, { recursive: true, force: true })
    }
  })
})
