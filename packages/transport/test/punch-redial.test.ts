/**
 * The re-dial schedule of hole punching (SPEC.md section 5.10.3): jittered gaps after refusals, the
 * paced gap after other failures, the dial budget, the stall bound, what counts as a refusal
 * (checked against a real refused dial on loopback), and the puncher's dial loop over stand-ins.
 */
import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { PeerId } from '@saorsa-gossip/types'
import { createTcpCarrier } from '../src/carriers/tcp.ts'
import { encodePunchMessage } from '../src/nat/codec.ts'
import { createPuncher } from '../src/nat/punch.ts'
import { isRefusal, REDIAL_DEFAULTS, RedialSchedule, validateRedialPolicy, type RedialPolicy } from '../src/nat/punch-redial.ts'
import { PUNCH_DEFAULTS } from '../src/proto/nat-config.ts'
import type { Connection, DialOptions, Transport } from '../src/types.ts'

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

/** A puncher over stand-ins: the relayed connection answers CONNECT, and `dial` plays the NAT path. */
function punchRig(dial: (options: DialOptions) => Promise<Connection>, config: Partial<RedialPolicy> = {}, connections: () => Connection[] = () => []) {
  const peer = PeerId.fromBytes(new Uint8Array(32).fill(7))
  const dials: DialOptions[] = []
  const transport = {
    handleDirect: () => {}, unhandle: () => {}, connectionTo: () => undefined, connections,
    dial: (_addr: string, options: DialOptions) => { dials.push(options); return dial(options) },
  } as unknown as Transport
  const relayed = {
    remotePeer: peer, remoteAddr: 'circuit://relay/target/tcp://198.51.100.10:4000', direction: 'outbound',
    request: async () => encodePunchMessage({ type: 'connect', addrs: ['tcp://198.51.100.4:40004'] }),
    sendDirect: async () => {},
  } as unknown as Connection
  const puncher = createPuncher({
    transport, config: { ...PUNCH_DEFAULTS, ...config }, endpoint: () => ({ localPort: 40003, addrs: ['tcp://198.51.100.3:40003'] }),
  })
  return { peer, dials, relayed, puncher }
}

const refused = (): Promise<never> => Promise.reject(new Error('dial failed', { cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }) }))

describe('punch driver', () => {
  // 400 refusals fit one 3 s attempt only if re-dialled within about a ms each (not every 10 ms).
  it('re-dials refused SYNs from the probe port within one attempt, with the relayed direction as handshake role', async () => {
    let n = 0
    const rig = punchRig(() => (++n <= 400 ? refused() : Promise.resolve({ remotePeer: rig.peer } as unknown as Connection)))
    const result = await rig.puncher.punch(rig.relayed)
    rig.puncher.stop()
    expect(result.attempts).toBe(1)
    expect(rig.dials).toHaveLength(401)
    expect(new Set(rig.dials.map((d) => `${d.localPort} ${d.handshakeRole}`))).toEqual(new Set(['40003 initiator']))
  })

  it('abandons a dial that hangs after a refusal and dials again', async () => {
    let n = 0
    const rig = punchRig((options) => {
      n++
      if (n === 1) return refused()
      // The second dial hangs (a half-open crossing) until the puncher gives up on it.
      if (n === 2) return new Promise((_resolve, reject) => options.signal!.addEventListener('abort', () => reject(new Error('aborted'))))
      return Promise.resolve({ remotePeer: rig.peer } as unknown as Connection)
    }, { stalledDialMs: 30 })
    const started = performance.now()
    const result = await rig.puncher.punch(rig.relayed)
    rig.puncher.stop()
    expect(result.attempts).toBe(1)
    expect(rig.dials).toHaveLength(3)
    expect(performance.now() - started).toBeLessThan(PUNCH_DEFAULTS.attemptTimeoutMs)
  })

  it('takes the connection a concurrent punch made on the same 4-tuple instead of re-dialling into EADDRNOTAVAIL', async () => {
    let won: Connection[] = []
    const rig = punchRig(() => {
      // The other end's punch won the 4-tuple meanwhile: this dial collides with it.
      won = [{ remotePeer: rig.peer, remoteAddr: 'tcp://198.51.100.4:40004', localAddr: 'tcp://10.77.3.10:40003' } as unknown as Connection]
      return Promise.reject(Object.assign(new Error('in use'), { code: 'EADDRNOTAVAIL' }))
    }, {}, () => won)
    const result = await rig.puncher.punch(rig.relayed)
    rig.puncher.stop()
    expect(result.connection).toBe(won[0])
    expect(rig.dials).toHaveLength(1)
    expect(rig.puncher.isPunched(won[0]!)).toBe(true)
  })
})
