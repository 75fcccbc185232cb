import { describe, it, expect } from 'vitest'
import { PassThrough } from 'node:stream'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { resolveCommand, UsageError, type CommandSpec } from '../src/cli/args.ts'
import { main, COMMANDS } from '../src/cli/main.ts'
import type { CliIO } from '../src/cli/context.ts'
import { EXIT, exitCodeFor } from '../src/cli/exit-codes.ts'

function io(env: Record<string, string> = {}): CliIO & { out: () => string; err: () => string } {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (d) => { out += d })
  stderr.on('data', (d) => { err += d })
  return {
    stdout, stderr, stdin: new PassThrough(), env, interrupt: new AbortController().signal,
    out: () => out, err: () => err,
  }
}

const probe: CommandSpec<unknown> = {
  path: ['pubsub', 'publish'],
  summary: 'publish',
  positionals: ['extra?'],
  options: { topic: { type: 'string', short: 't', description: 'topic' }, count: { type: 'string', multiple: true, description: 'n' } },
  run: async () => 0,
}

describe('CLI argument parsing', () => {
  it('finds the command words even after global options that take values', () => {
    const r = resolveCommand('sg', [probe], ['--home', '/tmp/x', 'pubsub', '--json', 'publish', '-t', 'chat'])
    expect(r.kind).toBe('command')
    if (r.kind !== 'command') return
    expect(r.globals).toMatchObject({ home: '/tmp/x', json: true })
    expect(r.args.values.topic).toBe('chat')
  })

  it('collects repeatable options', () => {
    const r = resolveCommand('sg', [probe], ['pubsub', 'publish', '--count', '1', '--count', '2'])
    expect(r.kind === 'command' && r.args.values.count).toEqual(['1', '2'])
  })

  it('answers --help at every level with usage text', () => {
    for (const argv of [['--help'], ['pubsub', '--help'], ['pubsub', 'publish', '--help']]) {
      const r = resolveCommand('sg', [probe], argv)
      expect(r.kind).toBe('help')
      expect(r.kind === 'help' && r.text).toMatch(/^Usage: sg/)
    }
    // Without a full command and without --help the same text is a usage mistake (exit 2).
    for (const argv of [[], ['pubsub']]) {
      const r = resolveCommand('sg', [probe], argv)
      expect(r.kind).toBe('usage')
      expect(r.kind === 'usage' && r.text).toMatch(/^Usage: sg/)
    }
  })

  it('rejects unknown groups, commands, flags, extra arguments and --verbose with --quiet', () => {
    for (const argv of [['nope'], ['pubsub', 'nope'], ['pubsub', 'publish', '--bogus'], ['pubsub', 'publish', 'a', 'b'], ['pubsub', 'publish', '-v', '-q']]) {
      expect(() => resolveCommand('sg', [probe], argv)).toThrow(UsageError)
    }
  })

  it('maps error names to the documented exit codes', () => {
    expect(exitCodeFor(new UsageError('x'))).toBe(EXIT.usage)
    expect(exitCodeFor(Object.assign(new Error('x'), { name: 'NoNodeRunningError' }))).toBe(EXIT.noNode)
    expect(exitCodeFor(new Error('x'))).toBe(EXIT.failure)
  })
})

describe('saorsa-gossip main', () => {
  it('gives every command its own help', async () => {
    for (const c of COMMANDS) {
      const t = io()
      expect(await main([...c.path, '--help'], t)).toBe(EXIT.ok)
      expect(t.out()).toContain(`Usage: saorsa-gossip ${c.path.join(' ')}`)
    }
  })

  it('exits 2 with a message on a usage error', async () => {
    const t = io()
    expect(await main(['network', 'frobnicate'], t)).toBe(EXIT.usage)
    expect(t.err()).toMatch(/unknown command 'network frobnicate'/)
  })

  it('exits 3 with "no node is running" when no daemon serves the home directory', async () => {
    const home = await mkdtemp(join(tmpdir(), 'sg-cli-'))
    const t = io()
    expect(await main(['--home', home, 'network', 'status'], t)).toBe(EXIT.noNode)
    expect(t.err()).toMatch(/no node is running/)
    const j = io()
    expect(await main(['--home', home, '--json', 'pubsub', 'list'], j)).toBe(EXIT.noNode)
    expect(JSON.parse(j.err())).toMatchObject({ error: { name: 'NoNodeRunningError' } })
    await rm(home, { recursive: true })
  })

  it('creates, lists, shows and deletes an identity with a passphrase from the environment', async () => {
    const home = await mkdtemp(join(tmpdir(), 'sg-cli-'))
    const env = { SAORSA_GOSSIP_PASSPHRASE: 'test passphrase' }
    const c = io(env)
    expect(await main(['--home', home, '--json', 'identity', 'create', 'alice'], c)).toBe(EXIT.ok)
    const created = JSON.parse(c.out()) as { peerId: string }
    expect(created.peerId).toMatch(/^[0-9a-f]{64}$/)
    const l = io()
    expect(await main(['--home', home, '--json', 'identity', 'list'], l)).toBe(EXIT.ok)
    expect(JSON.parse(l.out())).toMatchObject([{ alias: 'alice', peerId: created.peerId }])
    const s = io()
    expect(await main(['--home', home, 'identity', 'show', 'alice'], s)).toBe(EXIT.ok)
    expect(s.out()).toContain(created.peerId)
    const again = io(env)
    expect(await main(['--home', home, 'identity', 'create', 'alice'], again)).toBe(EXIT.failure)
    expect(again.err()).toMatch(/alice/)
    expect(await main(['--home', home, 'identity', 'delete', 'alice', '--force'], io())).toBe(EXIT.ok)
    expect(await main(['--home', home, 'identity', 'show', 'alice'], io())).toBe(EXIT.notFound)
    await rm(home, { recursive: true })
  })

  it('refuses to create an identity without any passphrase source', async () => {
    const home = await mkdtemp(join(tmpdir(), 'sg-cli-'))
    const t = io()
    expect(await main(['--home', home, 'identity', 'create'], t)).toBe(EXIT.usage)
    expect(t.err()).toMatch(/no passphrase/)
    await rm(home, { recursive: true })
  })
})
