/**
 * The event-loop guard of every test file (event-loop-guard.ts): the meter on an injected clock,
 * and one real vitest run over two fixture files, only one of which holds its loop past the limit.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { LoopStretchMeter, describeStretch } from './event-loop-stretch.ts'

describe('LoopStretchMeter', () => {
  it('reports the longest gap between two turns of the loop, with where it started and ended', () => {
    const meter = new LoopStretchMeter(1_000, 'load')
    meter.turn(1_050)
    meter.enter("test 'a'")
    meter.turn(1_100)
    meter.enter("test 'b'")
    meter.enter("test 'c'")
    meter.turn(13_100)
    meter.turn(13_150)
    expect(meter.longest).toEqual({ ms: 12_000, from: "test 'a'", to: "test 'c'" })
  })

  it('counts a file that never yields as one stretch from its loading to the last measurement', () => {
    const meter = new LoopStretchMeter(0, 'load')
    meter.enter("test 'only'")
    meter.turn(67_000)
    expect(meter.longest).toEqual({ ms: 67_000, from: 'load', to: "test 'only'" })
  })

  it('names the stretch and the limit in its failure message', () => {
    expect(describeStretch({ ms: 11_400, from: "test 'x'", to: "test 'x'" }, 10_000))
      .toMatch(/^the event loop was busy for 11\.40 s without a turn \(limit 10\.00 s\), during test 'x': /)
    expect(describeStretch({ ms: 500, from: "test 'x'", to: "test 'y'" }, 250)).toContain("from test 'x' to test 'y'")
  })
})

describe('the guard in a vitest run', () => {
  it('fails the file that holds its event loop past the limit and passes the one that yields as often', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loop-guard-'))
    try {
      const report = join(dir, 'report.json')
      const vitest = createRequire(import.meta.url).resolve('vitest/vitest.mjs')
      const config = fileURLToPath(new URL('./fixtures/event-loop/vitest.config.ts', import.meta.url))
      const code = await new Promise<number>((resolve) => {
        const child = execFile(process.execPath, [vitest, 'run', '--config', config, '--reporter=json', `--outputFile=${report}`],
          { env: { ...process.env, EVENT_LOOP_STRETCH_LIMIT_MS: '1500', EVENT_LOOP_STRETCH_LOG: '' } })
        child.on('exit', (exitCode) => resolve(exitCode ?? -1))
      })
      const files = (JSON.parse(readFileSync(report, 'utf8')) as { testResults: Array<{ name: string; status: string; message: string }> }).testResults
      const byName = (suffix: string) => files.find((f) => f.name.endsWith(suffix))!
      expect(code).toBe(1)
      expect(byName('yielding.fixture.ts').status).toBe('passed')
      expect(byName('blocking.fixture.ts').status).toBe('failed')
      const message = byName('blocking.fixture.ts').message
      expect(message).toMatch(/^the event loop was busy for \d+\.\d\d s without a turn \(limit 1\.50 s\), from test 'computes in slices' to the end of test 'computes at a stretch'/)
      expect(Number(/busy for (\S+) s/.exec(message)![1])).toBeGreaterThanOrEqual(3)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
