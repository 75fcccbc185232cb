import { describe, it, expect } from 'vitest'
import { PassThrough } from 'node:stream'
import { readFile } from 'node:fs/promises'
import { coordinatorMain, parsePublishInterval, parseRoles } from '../src/cli/coordinator-main.ts'
import type { CliIO } from '../src/cli/context.ts'
import { EXIT } from '../src/cli/exit-codes.ts'
import { coordinatorControlMethods } from '../src/control/methods/coordinator.ts'
import type { SaorsaNode } from '../src/node.ts'

// `saorsa-coordinator`'s argument checks and the `coordinator.*` control methods' parameter checks,
// without a running node (the multi-process test drives both end to end).

function io(): CliIO & { out: () => string; err: () => string } {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (d) => { out += d })
  stderr.on('data', (d) => { err += d })
  return { stdout, stderr, stdin: new PassThrough(), env: {}, interrupt: new AbortController().signal, out: () => out, err: () => err }
}

async function run(argv: string[]) {
  const t = io()
  const code = await coordinatorMain(argv, t)
  return { code, out: t.out(), err: t.err() }
}

describe('saorsa-coordinator arguments', () => {
  it('accepts each known role once, in the order given', () => {
    expect(parseRoles('coordinator,reflector,relay,rendezvous')).toEqual(['coordinator', 'reflector', 'relay', 'rendezvous'])
    expect(parseRoles(' rendezvous , coordinator')).toEqual(['rendezvous', 'coordinator'])
  })

  it('refuses unknown, repeated and empty roles naming the flag', () => {
    expect(() => parseRoles('coordinator,oracle')).toThrow(/--roles: unknown role 'oracle'/)
    expect(() => parseRoles('relay,relay')).toThrow(/--roles: 'relay' given twice/)
    expect(() => parseRoles('')).toThrow(/--roles: unknown role ''/)
    expect(() => parseRoles('coordinator,')).toThrow(/unknown role ''/)
  })

  it('takes a publish interval in whole seconds below the advert validity of one hour', () => {
    expect(parsePublishInterval('1')).toBe(1_000)
    expect(parsePublishInterval('3599')).toBe(3_599_000)
    for (const bad of ['0', '3600', '-5', '1.5', '10s', '', '9999999']) expect(() => parsePublishInterval(bad)).toThrow(/--publish-interval/)
  })

  it('prints its help with exit 0, its version, and exits 2 on a bad flag or argument', async () => {
    const help = await run(['--help'])
    expect(help.code).toBe(EXIT.ok)
    expect(help.out.split('\n')[0]).toBe('Usage: saorsa-coordinator run [options]')
    expect(help.out).toContain('--roles <list>')
    expect(help.out).toContain('--bootstrap <addr>')
    const { version } = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
    expect((await run(['--version'])).out).toBe(`saorsa-coordinator ${version}\n`)
    const badRole = await run(['--roles', 'oracle'])
    expect(badRole.code).toBe(EXIT.usage)
    expect(badRole.err).toMatch(/^error: --roles: unknown role 'oracle'/)
    expect((await run(['--nat', 'cone'])).code).toBe(EXIT.usage)
    expect((await run(['--publish-interval', '0'])).code).toBe(EXIT.usage)
    expect((await run(['extra'])).err).toMatch(/unexpected argument 'extra'/)
  })
})

describe('coordinator control methods', () => {
  const methods = coordinatorControlMethods({} as SaorsaNode)

  it('checks coordinator.list parameters, naming the one refused', () => {
    const list = methods['coordinator.list']!
    expect(list.parse({}, 1)).toEqual({ role: undefined, limit: 1_000 })
    expect(list.parse({ role: 'relay', limit: 5 }, 1)).toEqual({ role: 'relay', limit: 5 })
    expect(() => list.parse({ role: 'oracle' }, 1)).toThrow(/params\.role must be one of/)
    expect(() => list.parse({ limit: 0 }, 1)).toThrow(/params\.limit/)
    expect(() => list.parse({ limit: 1_001 }, 1)).toThrow(/params\.limit/)
    expect(() => list.parse({ peer: 'x' }, 1)).toThrow(/unknown parameter 'peer'/)
  })

  it('takes no parameters for coordinator.addressbook', () => {
    const book = methods['coordinator.addressbook']!
    expect(book.parse({}, 1)).toEqual({})
    expect(() => book.parse({ limit: 1 }, 1)).toThrow(expect.objectContaining({ name: 'BadRequest' }))
  })
})

describe('saorsa-coordinator --identity-path', () => {
  it('creates the identity at the given keystore file on first run and is the same PeerId after a restart', async () => {
    const { mkdtemp, rm, stat } = await import('node:fs/promises')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const dir = await mkdtemp(join(tmpdir(), 'sg-coord-id-'))
    try {
      const once = async (): Promise<string> => {
        const stop = new AbortController()
        const stdout = new PassThrough()
        let out = ''
        const seen = new Promise<string>((resolve) => stdout.on('data', (d) => {
          out += d
          const m = /"event":"identity","peerId":"([0-9a-f]{64})"/.exec(out)
          if (m !== null) resolve(m[1]!)
        }))
        const t: CliIO = { stdout, stderr: new PassThrough(), stdin: new PassThrough(), env: { SAORSA_GOSSIP_PASSPHRASE: 'identity path test' }, interrupt: stop.signal }
        const exited = coordinatorMain(['--home', join(dir, 'home'), '--json', '--bind', 'tcp://127.0.0.1:0', '--preset', 'local', '--identity-path', join(dir, 'keys', 'coord.key')], t)
        const peerId = await Promise.race([seen, exited.then((code) => { throw new Error(`exited ${code}: ${out}`) })])
        stop.abort()
        expect(await exited).toBe(EXIT.ok)
        return peerId
      }
      const first = await once()
      expect((await stat(join(dir, 'keys', 'coord.key'))).isFile()).toBe(true)
      expect(await once()).toBe(first)
      const bad = await run(['--home', join(dir, 'home'), '--identity-path', join(dir, 'coord.pem')])
      expect(bad.code).toBe(EXIT.usage)
      expect(bad.err).toContain("--identity-path must name a keystore file '<alias>.key'")
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
