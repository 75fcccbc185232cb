import { describe, it, expect, afterAll } from 'vitest'
import { execFile } from 'node:child_process'
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

// Each published package packs with `pnpm pack` into a tarball that installs with plain npm into a
// fresh project outside the monorepo (third-party dependencies from the npm cache or registry),
// imports, and the installed `saorsa-gossip` bin runs. The registry's WebTransport library is installed
// as released there: the carrier patches it in memory, and two installed nodes talk over WebTransport.

const run = promisify(execFile)
const root = fileURLToPath(new URL('../../../', import.meta.url))
const PACKAGES = [
  'types', 'identity', 'transport', 'membership', 'pubsub', 'coordinator', 'rendezvous', 'groups', 'presence', 'crdt-sync', 'node',
]
/** Each upper layer's factory, which an installed package must export. */
const FACTORIES = { coordinator: 'createCoordinator', rendezvous: 'createRendezvous', groups: 'createGroups', presence: 'createPresence', 'crdt-sync': 'createCrdtSync' }
let work: string | undefined
afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true })
})

describe('packaging', () => {
  it('packs every published package into a tarball that npm installs and Node imports', async () => {
    work = await mkdtemp(join(tmpdir(), 'sg-pack-'))
    const tarballs = join(work, 'tgz')
    const app = join(work, 'app')
    await mkdir(tarballs)
    await mkdir(app)
    // One recursive `pnpm pack` over the eleven packages: the same tarballs as eleven runs from each
    // package directory, without ten more npx and pnpm start-ups (about 3 s of CPU each).
    const filters = PACKAGES.flatMap((pkg) => ['--filter', `./packages/${pkg}`])
    await run('npx', ['--yes', 'pnpm@10', '--recursive', ...filters, 'pack', '--pack-destination', tarballs], { cwd: root })
    const files = (await readdir(tarballs)).sort()
    expect(files).toHaveLength(PACKAGES.length)
    const dependencies: Record<string, string> = {}
    const overrides: Record<string, string> = {}
    for (const pkg of PACKAGES) {
      const name = `@saorsa-gossip/${pkg}`
      dependencies[name] = `file:../tgz/${files.find((f) => f.startsWith(`saorsa-gossip-${pkg}-`))}`
      if (pkg !== 'node') overrides[name] = `$${name}`
    }
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'packaging-check', private: true, type: 'module', dependencies, overrides }))
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: app })
    const probe = `
      const t = await import('@saorsa-gossip/types'); const i = await import('@saorsa-gossip/identity')
      const n = await import('@saorsa-gossip/node'); await import('@saorsa-gossip/transport')
      await import('@saorsa-gossip/membership'); await import('@saorsa-gossip/pubsub')
      await import('@saorsa-gossip/rendezvous/proto'); await import('@saorsa-gossip/coordinator/proto'); await import('@saorsa-gossip/crdt-sync/proto')
      for (const [layer, factory] of Object.entries(${JSON.stringify(FACTORIES)})) {
        const m = await import('@saorsa-gossip/' + layer)
        if (typeof m[factory] !== 'function') throw new Error(layer + ': no ' + factory)
      }
      const id = i.Identity.generate()
      console.log(JSON.stringify({ peerId: id.peerId.toHex(), topic: t.TopicId.fromName('x').toHex(), node: typeof n.PeerCache, createNode: typeof n.createNode }))`
    // require(esm): every entry point of every package loads from CommonJS too (the "default" condition).
    const requireProbe = `
      const names = ${JSON.stringify(PACKAGES)}.map((p) => '@saorsa-gossip/' + p)
      const loaded = names.map((n) => Object.keys(require(n)).length)
      require('@saorsa-gossip/types/fs'); require('@saorsa-gossip/pubsub/proto'); require('@saorsa-gossip/node/stack')
      console.log(JSON.stringify({ createNode: typeof require('@saorsa-gossip/node').createNode, loaded }))`
    const required = JSON.parse((await run(process.execPath, ['--no-warnings', '-e', requireProbe], { cwd: app })).stdout) as { createNode: string; loaded: number[] }
    expect(required.createNode).toBe('function')
    expect(required.loaded.every((n) => n > 0)).toBe(true)
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probe], { cwd: app })
    // Exactly one line: importing the stack must not load (or let print) the WebTransport library.
    const result = JSON.parse(stdout) as { peerId: string; topic: string; node: string; createNode: string }
    expect(result.peerId).toMatch(/^[0-9a-f]{64}$/)
    expect(result.node).toBe('function')
    expect(result.createNode).toBe('function')
    // Two nodes with only the WebTransport carrier: a direct request and a pubsub message cross a real
    // session. The library on disk stays as released (no install step, nothing written); the carrier
    // patches it in memory, which the marker export and the silent import (no missing-addon noise) show.
    const wtProbe = `
      import { createNode } from '@saorsa-gossip/node'
      import { createWebTransportCarrier } from '@saorsa-gossip/transport/webtransport'
      const wt = () => ({ listen: ['wt://127.0.0.1:0'], carriers: [createWebTransportCarrier()], preset: 'local' })
      const a = createNode(wt()), b = createNode(wt())
      await a.start(); await b.start()
      await b.join(a.listenAddrs())
      const ECHO = { name: '/packaging/echo/1', streamClass: 'mship' }
      a.handle(ECHO, (request) => request)
      const echoed = new TextDecoder().decode(await b.request(a.peerId, ECHO, new TextEncoder().encode('over wt'), { timeoutMs: 20000 }))
      const inbox = a.subscribe('packaging')
      await b.publish('packaging', new TextEncoder().encode('gossip over wt'))
      let delivered
      for await (const m of inbox) { delivered = new TextDecoder().decode(m.payload); break }
      const library = await import('@fails-components/webtransport')
      console.log(JSON.stringify({ addrs: [...a.listenAddrs(), ...b.listenAddrs()], echoed, delivered, level: library.saorsaGossipPatchLevel }))
      await a.stop(); await b.stop()`
    const libraryDir = join(app, 'node_modules', '@fails-components', 'webtransport')
    const onDisk = await readFile(join(libraryDir, 'lib', 'index.node.js'), 'utf8')
    expect(onDisk).not.toContain('saorsa')
    const wt = await run(process.execPath, ['--input-type=module', '-e', wtProbe], { cwd: app, timeout: 60_000 })
    // Exactly one line: the patched library imports quietly (released 1.6.8 prints ~30 lines without the addon).
    const session = JSON.parse(wt.stdout) as { addrs: string[]; echoed: string; delivered: string; level: number }
    expect(session.addrs).toHaveLength(2)
    for (const addr of session.addrs) expect(addr).toMatch(/^wt:\/\/127\.0\.0\.1:\d+$/)
    expect(session).toMatchObject({ echoed: 'over wt', delivered: 'gossip over wt', level: 1 })
    expect(await readFile(join(libraryDir, 'lib', 'index.node.js'), 'utf8')).toBe(onDisk)
    // The installed bin link runs by itself (npm made it executable; the shebang picks Node).
    const help = await run(join(app, 'node_modules', '.bin', 'saorsa-gossip'), ['--help'], { cwd: app })
    expect(help.stdout).toContain('Usage: saorsa-gossip')
    const coordinator = await run(join(app, 'node_modules', '.bin', 'saorsa-coordinator'), ['--version'], { cwd: app })
    expect(coordinator.stdout).toMatch(/^saorsa-coordinator \d+\.\d+\.\d+\n$/)
  }, 240_000)
})
