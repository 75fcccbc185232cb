/**
 * Vitest setup file of every project: measures the longest stretch the test file keeps its worker's
 * event loop busy (a timer that should fire every 50 ms notes each turn) and fails the file when it
 * exceeds the limit. `EVENT_LOOP_STRETCH_LIMIT_MS` overrides the limit; with `EVENT_LOOP_STRETCH_LOG`
 * set to a path, each file appends its longest stretch there as a JSON line.
 */
import { appendFileSync } from 'node:fs'
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest'
import { LoopStretchMeter, STRETCH_LIMIT_MS, describeStretch } from './event-loop-stretch.ts'

// Captured before any test can install fake timers or a fake clock.
const clock = performance.now.bind(performance)
const realSetInterval = setInterval
const realClearInterval = clearInterval

const TICK_MS = 50
const limitMs = Number(process.env['EVENT_LOOP_STRETCH_LIMIT_MS'] ?? STRETCH_LIMIT_MS)
const logPath = process.env['EVENT_LOOP_STRETCH_LOG'] || undefined

const meter = new LoopStretchMeter(clock(), 'the loading of the file')
const ticker = realSetInterval(() => meter.turn(clock()), TICK_MS)
ticker.unref()
let file = 'unknown file'

beforeAll((suite) => {
  file = 'filepath' in suite && typeof suite.filepath === 'string' ? suite.filepath : suite.name
  meter.enter('the beforeAll hooks')
})
beforeEach(({ task }) => meter.enter(`test '${task.name}'`))
afterEach(({ task }) => meter.enter(`the end of test '${task.name}'`))

afterAll(() => {
  realClearInterval(ticker)
  // The stretch running into this hook has not been closed by a tick yet.
  meter.turn(clock())
  const longest = meter.longest
  if (logPath !== undefined) appendFileSync(logPath, `${JSON.stringify({ file, ...longest, ms: Math.round(longest.ms) })}\n`)
  if (longest.ms > limitMs) throw new Error(describeStretch(longest, limitMs))
})
