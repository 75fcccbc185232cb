/**
 * Adapts @saorsa-gossip/transport to the `GroupsTransport` the service uses, structurally (groups
 * does not import transport): requests are direct requests on the `pubsub` stream class (answers fit
 * one frame), bulk transfers are flow-controlled streams on the `bulk` class (docs/architecture.md section 5).
 */
import type { PeerId } from '@saorsa-gossip/types'
import { GroupError } from './errors.ts'
import type { GroupsTransport } from './service-api.ts'

interface DirectProtocol { readonly name: string; readonly streamClass: 'pubsub' }
interface BulkProtocol { readonly name: string; readonly maxBytes: number }

/** The part of a transport connection the groups layer uses. */
export interface ConnectionLike {
  request(protocol: DirectProtocol, message: Uint8Array, options?: { signal?: AbortSignal }): Promise<Uint8Array>
  openStream(protocol: BulkProtocol, options?: { signal?: AbortSignal }): Promise<{
    write(chunk: Uint8Array, options?: { signal?: AbortSignal }): Promise<void>
    close(): Promise<void>
  }>
}

/** The part of a Transport the groups layer uses. */
export interface TransportLike {
  handleDirect(protocol: DirectProtocol, handler: (request: Uint8Array, context: { readonly peer: PeerId }) => Promise<Uint8Array>): void
  handleStream(protocol: BulkProtocol, handler: (stream: { bytes(): Promise<Uint8Array> }, connection: { readonly remotePeer: PeerId }) => void): void
  connectionTo(peer: PeerId): ConnectionLike | undefined
}

export function groupsTransport(transport: TransportLike): GroupsTransport {
  // Bulk caps by protocol name, as registered: the same protocol object is used to send.
  const bulkCaps = new Map<string, number>()
  const connection = (peer: PeerId): ConnectionLike => {
    const found = transport.connectionTo(peer)
    if (found === undefined) throw new GroupError(`no connection to ${peer.toShortString()}`)
    return found
  }
  return {
    handleRequests(name, handler) {
      transport.handleDirect({ name, streamClass: 'pubsub' }, (request, context) => handler(context.peer, request))
    },
    async request(peer, name, request, options) {
      return connection(peer).request({ name, streamClass: 'pubsub' }, request, options)
    },
    handleBulk(name, maxBytes, handler) {
      bulkCaps.set(name, maxBytes)
      transport.handleStream({ name, maxBytes }, (stream, conn) => {
        // A stream over its cap, reset or malformed is the sender's loss: nothing to answer on a bulk stream.
        void stream.bytes().then((data) => handler(conn.remotePeer, data)).catch(() => undefined)
      })
    },
    async sendBulk(peer, name, data, options) {
      const writer = await connection(peer).openStream({ name, maxBytes: bulkCaps.get(name) ?? data.length }, options)
      await writer.write(data, options)
      await writer.close()
    },
  }
}
