/**
 * The reflector role over TCP on loopback: a signed answer carries the address the reflector
 * observed and our nonce; an answer signed by anyone else or for another nonce is refused; answers
 * are rationed per second.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Identity, loadMlDsa65Backend } from '@saorsa-gossip/identity'
import { createTransport } from '../src/transport.ts'
import { decodeReflectRequest, encodeReflectAnswer, encodeReflectBody } from '../src/nat/codec.ts'
import { queryReflector, REFLECT_ANSWERS_PER_SECOND, REFLECT_DOMAIN, REFLECT_PROTOCOL, serveReflector } from '../src/nat/reflector.ts'
import { UNRATIONED_EDGE } from './transport-suite.ts'

const ids = Array.from({ length: 3 }, (_, i) => Identity.generate({ seed: new Uint8Array(32).fill(120 + i) }))
const cleanups: Array<() => Promise<void>> = []

async function pair(clock?: () => number): Promise<{ connection: Awaited<ReturnType<ReturnType<typeof createTransport>['dial']>>; reflector: ReturnType<typeof createTransport>; counters: ReturnType<typeof serveReflector>['counters'] | undefined }> {
  const reflector = createTransport({ identity: ids[0]!, edge: UNRATIONED_EDGE })
  const client = createTransport({ identity: ids[1]!, edge: UNRATIONED_EDGE })
  cleanups.push(async () => { await client.close(); await reflector.close() })
  const addr = await reflector.listen('tcp://127.0.0.1:0')
  const served = clock === undefined ? undefined : serveReflector(reflector, ids[0]!, clock)
  const connection = await client.dial(addr, { expectedPeer: reflector.peerId })
  return { connection, reflector, counters: served?.counters }
}

beforeAll(async () => { await loadMlDsa65Backend() })
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

describe('reflector', () => {
  it('answers with the address it observed for the connection, signed by its own key', async () => {
    const { connection, counters } = await pair(() => 0)
    const local = /^tcp:\/\/(.+):(\d+)$/.exec(connection.localAddr)!
    await expect(queryReflector(connection)).resolves.toEqual({ host: local[1], port: Number(local[2]) })
    expect(counters).toEqual({ answered: 1, refused: 0, malformed: 0 })
  })

  it('accepts a correctly signed tcp answer and refuses one signed by another key or for another nonce', async () => {
    const { connection, reflector } = await pair()
    let signer = ids[0]!
    let echo = true
    reflector.handleDirect(REFLECT_PROTOCOL, (request) => {
      const nonce = decodeReflectRequest(request)
      const body = encodeReflectBody({ nonce: echo ? nonce : new Uint8Array(16), observed: 'tcp://203.0.113.9:40001', timestampMs: 1 })
      return encodeReflectAnswer(body, signer.sign(REFLECT_DOMAIN, body))
    })
    await expect(queryReflector(connection)).resolves.toEqual({ host: '203.0.113.9', port: 40001 })
    signer = ids[2]!
    await expect(queryReflector(connection)).rejects.toMatchObject({ name: 'NatError', message: expect.stringMatching(/not signed/) })
    signer = ids[0]!
    echo = false
    await expect(queryReflector(connection)).rejects.toMatchObject({ name: 'NatError', message: expect.stringMatching(/nonce/) })
  })

  it(`signs at most ${REFLECT_ANSWERS_PER_SECOND} answers per second and refuses the rest`, async () => {
    let now = 0
    const { connection, counters } = await pair(() => now)
    const results = await Promise.allSettled(Array.from({ length: REFLECT_ANSWERS_PER_SECOND + 5 }, () => queryReflector(connection)))
    expect(results.filter((r) => r.status === 'rejected' && (r.reason as Error).name === 'RequestRefusedError').length).toBe(5)
    expect(counters).toMatchObject({ refused: 5 })
    now = 1_000
    await expect(queryReflector(connection)).resolves.toMatchObject({ host: '127.0.0.1' })
    expect(counters?.answered).toBe(REFLECT_ANSWERS_PER_SECOND + 1)
  })
})
