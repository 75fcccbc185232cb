import { describe, it, expect } from 'vitest'
import { execFile } from 'node:child_process'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

// Every example runs as its own process, exactly as a user would start it, and must exit 0.
const run = promisify(execFile)
const dir = fileURLToPath(new URL('..', import.meta.url))
// On failure, the error carries the example's whole output, so the failing check is in the report.
const example = async (file: string): Promise<{ stdout: string }> => {
  try {
    // The demo's upper-layer steps run one by one in demo-steps.test.ts, not again here.
    return await run(process.execPath, [file], { cwd: dir, timeout: 110_000, env: { ...process.env, SAORSA_DEMO_STEPS: '0' } })
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string }
    throw new Error(`${file} failed:\n${stdout}\n${stderr}`, { cause: err })
  }
}

describe('examples', () => {
  it('the identity part of the demo signs, verifies across backends and rejects tampering', async () => {
    const { stdout } = await example('identity.mjs')
    expect(stdout).toContain('all checks held')
    expect(stdout).not.toContain('FAIL')
  })

  it('the two-node chat delivers one signed line in each direction', async () => {
    const { stdout } = await example('chat.mjs')
    expect(stdout).toMatch(/bob {3}received "hi bob, this is alice" from [0-9a-f]+ \(1 hop/)
    expect(stdout).toMatch(/alice received "hello alice, bob here"/)
    expect(stdout).toContain('chat done')
  })

  it('the hand-composed stack (identity + transport + membership + pubsub) delivers a broadcast over two hops', async () => {
    const { stdout } = await example('compose-stack.mjs')
    expect(stdout).toMatch(/beta {3}got "hello from a hand-built stack" from [0-9a-f]+ after 1 hop/)
    expect(stdout).toMatch(/gamma {2}got "hello from a hand-built stack"/)
    expect(stdout).toContain('compose done')
  })

  it('rendezvous: a reader finds the provider of a target through a serving peer and dials it at its hinted address', async () => {
    const { stdout } = await example('rendezvous.mjs')
    expect(stdout).toMatch(/reader found [0-9a-f]+ \(SITE\) at mem:\/\/site/)
    expect(stdout).toMatch(/reader dialled the provider: authenticated as [0-9a-f]+/)
    expect(stdout).toContain('rendezvous done')
  })

  it('presence: three members see each other online, a clean stop shows offline, an outsider sees nobody', async () => {
    const { stdout } = await example('presence.mjs')
    expect(stdout).toMatch(/alpha  online: .*(beta|gamma).*(beta|gamma)/)
    expect(stdout).toMatch(/alpha  sees gamma offline \(left\)/)
    expect(stdout).toContain('delta (guessed secret) sees 0 member(s)')
    expect(stdout).toContain('presence done')
    expect(stdout).not.toContain('FAIL')
  })

  it('the network demo holds every check it prints: delivery, crash and hang detection, repair', async () => {
    const { stdout } = await example('demo.mjs')
    expect(stdout).not.toContain('FAIL')
    expect(stdout).toMatch(/all checks held/)
    expect(stdout).toMatch(/every message reached every other node \((\d+)\/\1\)/)
  })

  // The library examples of the READMEs, run as written (from this directory, where the packages resolve).
  for (const [readme, heading] of [['../README.md', '## Use it as a library'], ['../packages/node/README.md', '## Library']] as const) {
    it(`the library example of ${readme.slice(3)} prints the message one node published and the other received`, async () => {
      const text = await readFile(join(dir, readme), 'utf8')
      const section = text.slice(text.indexOf(heading))
      const code = section.slice(section.indexOf('```ts\n') + 6, section.indexOf('\n```', section.indexOf('```ts\n')))
      const file = `.readme-example-${heading.length}.mjs`
      await writeFile(join(dir, file), code)
      try {
        const { stdout } = await example(file)
        expect(stdout).toMatch(/^[0-9a-f]+\S* [1-9]\d* hello/)
      } finally {
        await rm(join(dir, file), { force: true })
      }
    })
  }
})
