/**
 * The re-dial schedule of hole punching (SPEC.md section 5.10.3): jittered gaps after refusals, the
 * paced gap after other failures, the dial budget, the stall bound, and what counts as a refusal
 * (checked against a real refused dial on loopback).
 */
import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { createTcpCarrier } from '../src/carriers/tcp.ts'
import { isRefusal, REDIAL_DEFAULTS, RedialSchedule, validateRedialPolicy } from '../src/nat/punch-redial.ts'

const policy = { refusedGapMs: 2, refusedJitterMs: 3, maxDialsPerAttempt: 5, stalledDialMs: 250, stalledDialRtts: 4 }

describe('punch re-dial schedule', () => {
  it('re-dials a refusal or a stall after the gap plus a jitter spanning [0, refusedJitterMs], other failures after the paced gap', () => {
    const schedule = new RedialSchedule(policy, 10)
    expect(schedule.next('refused', 0)).toBe(2)
    expect(schedule.next('refused', 0.999)).toBe(5)
    expect(schedule.next('stalled', 0.5)).toBe(4)
    expect(schedule.next('failed', 0.999)).toBe(10)
    expect(schedule.dials).toBe(4)
  })

  it('ends the attempt once maxDialsPerAttempt dials were made', () => {
    const schedule = new RedialSchedule(policy, 10)
    const gaps = Array.from({ length: 6 }, () => schedule.next('refused', 0))
    expect(gaps).toEqual([2, 2, 2, 2, undefined, undefined])
  })

  it('bounds stalled dials only after a refusal, by the floor or the round trips, whichever is longer, doubling per stall', () => {
    const schedule = new RedialSchedule(policy, 10)
    schedule.next('failed', 0)
    expect(schedule.refused).toBe(false)
    schedule.next('refused', 0)
    expect(schedule.refused).toBe(true)
    expect(schedule.stallMs(1)).toBe(250)
    expect(schedule.stallMs(100.2)).toBe(401)
    // A handshake slower than the bound is not cut short forever: each stall doubles it.
    schedule.next('stalled', 0)
    expect(schedule.stallMs(1)).toBe(500)
    schedule.next('stalled', 0)
    expect(schedule.stallMs(100.2)).toBe(1604)
  })

  it('defaults: no pause or one timer tick after a refusal, the dials of a 3 s attempt at one per ms', () => {
    const schedule = new RedialSchedule(REDIAL_DEFAULTS, 10)
    const gaps = new Set(Array.from({ length: 100 }, (_, i) => schedule.next('refused', i / 100)))
    expect([...gaps].sort()).toEqual([0, 1])
    expect(REDIAL_DEFAULTS.maxDialsPerAttempt).toBe(3_000)
  })

  it('refuses an unusable policy, naming the field', () => {
    expect(() => validateRedialPolicy(REDIAL_DEFAULTS)).not.toThrow()
    expect(() => validateRedialPolicy({ ...policy, refusedJitterMs: -1 })).toThrow(/refusedJitterMs/)
    expect(() => validateRedialPolicy({ ...policy, stalledDialMs: Number.NaN })).toThrow(/stalledDialMs/)
    expect(() => validateRedialPolicy({ ...policy, maxDialsPerAttempt: 0 })).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
  })
})

describe('refusals', () => {
  it('recognises a dial refused by a RST through the DialError that wraps it', async () => {
    const server = createServer()
    const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)))
    await new Promise((resolve) => server.close(resolve))
    const error = await createTcpCarrier().dial(`tcp://127.0.0.1:${port}`).catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'DialError' })
    expect(isRefusal(error)).toBe(true)
  })

  it('counts resets, not other failures, and stops on a cyclic cause chain', () => {
    expect(isRefusal(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(true)
    expect(isRefusal(new Error('wrapped', { cause: new Error('x', { cause: Object.assign(new Error('r'), { code: 'ECONNREFUSED' }) }) }))).toBe(true)
    expect(isRefusal(Object.assign(new Error('unreachable'), { code: 'EHOSTUNREACH' }))).toBe(false)
    expect(isRefusal(new DOMException('timeout', 'TimeoutError'))).toBe(false)
    expect(isRefusal(undefined)).toBe(false)
    const cyclic: { cause?: unknown } = {}
    cyclic.cause = cyclic
    expect(isRefusal(cyclic)).toBe(false)
  })
})
