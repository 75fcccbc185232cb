import { describe, it, expect, afterAll } from 'vitest'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type BrowserContext } from 'playwright-core'
import { createMemoryNetwork } from '@saorsa-gossip/transport'
import { createNode, type SaorsaNode } from '../src/node.ts'
import { serveDashboard, type DashboardServer } from '../src/dashboard/server.ts'
import { topologyOf } from '../src/dashboard/snapshot.ts'

// The topology page in headless Chromium (Debian's chromium): five in-memory nodes, one of them a
// coordinator with a group; the page shows five nodes, their links, a topic's eager tree, the
// coordinator and the group, then one node stops and the page shows four. Keeps a screenshot.

const CHROMIUM = '/usr/bin/chromium'
// docs/dashboard.png is rewritten only on request, so a test run leaves the tree clean.
const SCREENSHOT = process.env.UPDATE_SCREENSHOTS === '1' ? fileURLToPath(new URL('../../../docs/dashboard.png', import.meta.url)) : undefined

const nodes: SaorsaNode[] = []
let server: DashboardServer | undefined
let browser: BrowserContext | undefined
let profile: string | undefined
afterAll(async () => {
  await browser?.close()
  await server?.close()
  for (const n of nodes) await n.stop()
  if (profile !== undefined) await rm(profile, { recursive: true, force: true })
})

async function until(what: string, probe: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe.skipIf(!existsSync(CHROMIUM))('topology page', () => {
  it('shows the right node count with links, and updates when a node dies', async () => {
    const net = createMemoryNetwork()
    for (let i = 0; i < 5; i++) {
      const node = createNode({ carriers: [net.carrier()], listen: [`mem://dash${i}`], preset: 'local', ...(i === 0 ? { coordinator: { roles: ['coordinator', 'rendezvous'] } } : {}) })
      await node.start()
      nodes.push(node)
    }
    for (const node of nodes.slice(1)) await node.join(nodes[0]!.listenAddrs())
    await until('every node to have a neighbour', () => nodes.every((n) => n.status().activePeers >= 1))
    // A topic every node reads, one message through it (the eager tree forms), and a group on node 0.
    const readers = nodes.map((n) => n.subscribe('dash/news')[Symbol.asyncIterator]())
    await nodes[0]!.publish('dash/news', new TextEncoder().encode('hello'))
    await Promise.all(readers.slice(1).map((r) => r.next()))
    const group = await nodes[0]!.groups.create()
    const reporting = () => nodes.filter((n) => n.status().state === 'running')
    server = await serveDashboard(async () => topologyOf(reporting().map((n) => ({
      status: n.status(), peers: n.peers(), trees: n.topicTrees(),
      coordinators: n.coordinator.adverts().map(({ advert: a }) => ({ peerId: a.peerId.toHex(), roles: [...a.roles], nat: a.nat })),
      groups: n.groups.list().map((id) => ({ groupId: Buffer.from(id).toString('hex'), epoch: n.groups.epoch(id), members: n.groups.members(id).map((m) => m.peerId.toHex()) })),
    })), Date.now()), '127.0.0.1', 0)

    profile = await mkdtemp(join(tmpdir(), 'sg-chromium-'))
    // A fresh profile directory (Playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1200, height: 700 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    })
    const page = await browser.newPage()
    const external: string[] = []
    page.on('request', (r) => { if (!r.url().startsWith(server!.url)) external.push(r.url()) })
    await page.goto(server.url)
    await page.locator('#count', { hasText: /^5 nodes$/ }).waitFor({ timeout: 15_000 })
    expect(await page.locator('svg g[data-peer]').count()).toBe(5)
    expect(await page.locator('svg line.active').count()).toBeGreaterThanOrEqual(4)
    // The topic's eager tree spans the five nodes: at least four eager links, drawn for the chosen topic.
    expect(await page.locator('#topic').inputValue()).toBe('dash/news')
    await page.locator('#states', { hasText: /eager links in dash\/news/ }).waitFor({ timeout: 15_000 })
    expect(await page.locator('svg line.eager').count()).toBeGreaterThanOrEqual(4)
    expect(await page.locator('#groups li').first().textContent()).toBe(`${Buffer.from(group).toString('hex').slice(0, 8)} epoch 0, 1 members`)
    // The coordinator's advert reaches the others (published at start, again every 10 s on the local preset).
    const coordinator = nodes[0]!.peerId.toHex()
    await page.locator('#coordinators li', { hasText: coordinator.slice(0, 8) }).waitFor({ timeout: 25_000 })
    expect(await page.locator(`svg g[data-peer="${coordinator}"]`).getAttribute('data-roles')).toBe('coordinator,rendezvous')
    const png = await page.screenshot({ fullPage: true, ...(SCREENSHOT === undefined ? {} : { path: SCREENSHOT }) })
    expect(png.subarray(1, 4).toString()).toBe('PNG')

    const victim = nodes[4]!
    await victim.stop()
    await page.locator('#count', { hasText: /^4 nodes$/ }).waitFor({ timeout: 15_000 })
    // The stopped node is either gone from every view or drawn as dead; it is never drawn alive.
    const drawn = page.locator(`svg g[data-peer="${victim.peerId.toHex()}"]`)
    if (await drawn.count() > 0) expect(await drawn.getAttribute('data-state')).toBe('dead')
    expect(external).toEqual([])
  }, 60_000)
})
