import { describe, expect, it } from 'vitest'
import { PeerId, utf8 } from '@saorsa-gossip/types'
import { groupsTransport, type ConnectionLike, type TransportLike } from '../src/transport-adapter.ts'

describe('the transport adapter', () => {
  it('maps requests to direct requests on the pubsub class and bulk transfers to capped bulk streams', async () => {
    const peer = PeerId.fromPublicKey(new Uint8Array([7]))
    const log: string[] = []
    let direct: ((request: Uint8Array, context: { peer: PeerId }) => Promise<Uint8Array>) | undefined
    let stream: ((s: { bytes(): Promise<Uint8Array> }, c: { remotePeer: PeerId }) => void) | undefined
    const connection: ConnectionLike = {
      request: async (protocol, message) => { log.push(`request ${protocol.name} ${protocol.streamClass} ${message.length}`); return utf8('answer') },
      openStream: async (protocol) => {
        log.push(`open ${protocol.name} ${protocol.maxBytes}`)
        return { write: async (chunk) => { log.push(`write ${chunk.length}`) }, close: async () => { log.push('close') } }
      },
    }
    const transport: TransportLike = {
      handleDirect: (protocol, handler) => { log.push(`handleDirect ${protocol.name} ${protocol.streamClass}`); direct = handler },
      handleStream: (protocol, handler) => { log.push(`handleStream ${protocol.name} ${protocol.maxBytes}`); stream = handler },
      connectionTo: (p) => (p.equals(peer) ? connection : undefined),
    }
    const adapted = groupsTransport(transport)
    const got: string[] = []
    adapted.handleRequests('/req/1', async (from, request) => { got.push(`req ${from.equals(peer)} ${request.length}`); return utf8('ok') })
    adapted.handleBulk('/bulk/1', 1000, async (from, data) => { got.push(`bulk ${from.equals(peer)} ${data.length}`) })
    expect(new TextDecoder().decode(await direct!(utf8('abc'), { peer }))).toBe('ok')
    stream!({ bytes: async () => utf8('hello') }, { remotePeer: peer })
    stream!({ bytes: async () => { throw new Error('over cap') } }, { remotePeer: peer })
    await new Promise((resolve) => setImmediate(resolve))
    expect(await adapted.request(peer, '/req/1', utf8('x'))).toEqual(utf8('answer'))
    await adapted.sendBulk(peer, '/bulk/1', utf8('data'))
    await expect(adapted.request(PeerId.fromPublicKey(new Uint8Array([8])), '/req/1', utf8('x'))).rejects.toMatchObject({ name: 'GroupError' })
    expect(got).toEqual(['req true 3', 'bulk true 5'])
    expect(log).toEqual([
      'handleDirect /req/1 pubsub', 'handleStream /bulk/1 1000', 'request /req/1 pubsub 1', 'open /bulk/1 1000', 'write 4', 'close',
    ])
  })
})
