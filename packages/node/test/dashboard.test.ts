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

// The topology page in headless Chromium (Debian's chromium): five in-memory nodes, the page shows
// five nodes and their links, then one node stops and the page shows four. Keeps a screenshot.

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
      const node = createNode({ carriers: [net.carrier()], listen: [`mem://dash${i}`], preset: 'local' })
      await node.start()
      nodes.push(node)
    }
    for (const node of nodes.slice(1)) await node.join(nodes[0]!.listenAddrs())
    await until('every node to have a neighbour', () => nodes.every((n) => n.status().activePeers >= 1))
    const reporting = () => nodes.filter((n) => n.status().state === 'running')
    server = await serveDashboard(async () => topologyOf(reporting().map((n) => ({ status: n.status(), peers: n.peers() })), Date.now()), '127.0.0.1', 0)

    profile = await mkdtemp(join(tmpdir(), 'sg-chromium-'))
    // A fresh profile directory (Playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 900, height: 700 },
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
    const png = await page.screenshot(SCREENSHOT === undefined ? {} : { path: SCREENSHOT })
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
