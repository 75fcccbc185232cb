/**
 * Direct messages on one connection (SPEC.md section 5.5): sends one-way messages and requests, matches
 * responses to the requests pending here, and answers the remote's requests through the transport's
 * direct handlers with a bounded number running at once. A refusal carries a code, never error text.
 */
import { InvalidParametersError, LIMITS, type PeerId } from '@saorsa-gossip/types'
import type { AbortOptions } from '../carrier.ts'
import type { RefusalReason } from '../errors.ts'
import type { OutFrame } from '../frames.ts'
import { validateMessageProtocol, type MessageProtocol } from '../protocols.ts'
import type { ProtocolRoutes } from '../routes.ts'
import type { Connection, DirectHandler, DropReason, RequestOptions } from '../types.ts'
import { DEFAULT_REQUEST_TIMEOUT_MS, PendingRequests } from './pending.ts'
import { DIRECT_TYPE, directFrame, parseDirectFrame, refusalCode } from './wire.ts'

/**
 * Remote requests whose handlers run at once on one connection; more are refused as 'busy'. Equal to
 * the requester's in-flight cap, so an honest peer is never refused by this limit alone.
 */
export const MAX_INBOUND_REQUESTS = 64

export const CLASS_CAP = { mship: LIMITS.maxMshipFrameBytes, pubsub: LIMITS.maxPubsubFrameBytes } as const

export interface DirectHost {
  readonly connection: Connection
  readonly remotePeer: PeerId
  readonly routes: ProtocolRoutes
  /** Aborted when the connection ends. */
  readonly signal: AbortSignal
  /** Queues a frame on its class, waiting while the class is over its high-water mark. */
  enqueue(streamClass: 'mship' | 'pubsub', frame: OutFrame, signal?: AbortSignal): Promise<void>
  /** Queues a frame only if its class is under the high-water mark. */
  tryEnqueue(streamClass: 'mship' | 'pubsub', frame: OutFrame): boolean
  /** Runs a handler with the connection's pending-handler accounting (read pausing, error counting). */
  run(call: () => unknown): void
  drop(reason: DropReason): void
  handlerFailed(): void
}

function checkMessage(protocol: MessageProtocol, message: Uint8Array, argument: string): void {
  validateMessageProtocol(protocol, argument)
  if (!(message instanceof Uint8Array)) throw new InvalidParametersError(`${argument}: message must be a Uint8Array`)
  const cap = CLASS_CAP[protocol.streamClass]
  if (message.length > cap) throw new InvalidParametersError(`${argument}: ${protocol.streamClass} message of ${message.length} bytes exceeds the ${cap}-byte cap`)
}

export class DirectEndpoint {
  readonly #host: DirectHost
  readonly #pending = new PendingRequests()
  #running = 0

  constructor(host: DirectHost) {
    this.#host = host
  }

  get pendingRequests(): number { return this.#pending.size }
  /** The remote's requests whose handler has not answered yet. */
  get answering(): number { return this.#running }

  async sendOneWay(protocol: MessageProtocol, message: Uint8Array, options?: AbortOptions): Promise<void> {
    checkMessage(protocol, message, 'sendDirect')
    await this.#host.enqueue(protocol.streamClass, directFrame(protocol.streamClass, protocol.name, DIRECT_TYPE.oneWay, 0, message.slice()), options?.signal)
  }

  request(protocol: MessageProtocol, message: Uint8Array, options: RequestOptions = {}): Promise<Uint8Array> {
    checkMessage(protocol, message, 'request')
    const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) throw new InvalidParametersError(`request: timeoutMs must be a positive integer, got ${timeoutMs}`)
    const { name, streamClass } = protocol
    const copy = message.slice()
    return this.#pending.open(name, { signal: options.signal, timeoutMs },
      (id) => this.#host.enqueue(streamClass, directFrame(streamClass, name, DIRECT_TYPE.request, id, copy), options.signal))
  }

  /** Pending requests reject at once with `error` (the connection closed). */
  failAll(error: Error): void {
    this.#pending.failAll(error)
  }

  /** One direct frame of `streamClass` from the remote. */
  onFrame(streamClass: 'mship' | 'pubsub', body: Uint8Array, own: (view: Uint8Array) => Uint8Array): void {
    const f = parseDirectFrame(body)
    if (f === undefined) { this.#host.drop('malformed-direct'); return }
    if (f.type === 'response') {
      if (!this.#pending.respond(f.name, f.id, own(f.data))) this.#host.drop('unknown-response')
      return
    }
    if (f.type === 'refusal') {
      if (!this.#pending.refuse(f.name, f.id, f.reason)) this.#host.drop('unknown-response')
      return
    }
    const route = this.#host.routes.get(f.name)
    const handler = route?.kind === 'direct' && route.protocol.streamClass === streamClass ? route.handler : undefined
    if (handler === undefined) {
      this.#host.drop(route === undefined ? 'unknown-protocol' : 'wrong-route')
      if (f.type === 'request') this.#refuse(streamClass, f.name, f.id, 'no-handler')
      return
    }
    const context = { peer: this.#host.remotePeer, connection: this.#host.connection, signal: this.#host.signal }
    if (f.type === 'one-way') {
      const data = own(f.data)
      this.#host.run(() => handler(data, context))
      return
    }
    if (this.#running >= MAX_INBOUND_REQUESTS) { this.#refuse(streamClass, f.name, f.id, 'busy'); return }
    this.#answer(streamClass, f.name, f.id, own(f.data), handler, context)
  }

  #answer(streamClass: 'mship' | 'pubsub', name: string, id: number, request: Uint8Array, handler: DirectHandler, context: Parameters<DirectHandler>[1]): void {
    this.#running++
    const respond = async (): Promise<void> => {
      let response: Uint8Array
      try {
        const result: unknown = await handler(request, context)
        if (result !== undefined && !(result instanceof Uint8Array)) throw new TypeError('a direct handler must return bytes or nothing')
        response = result ?? new Uint8Array(0)
      } catch {
        this.#host.handlerFailed()
        this.#refuse(streamClass, name, id, 'handler-failed')
        return
      }
      if (response.length > CLASS_CAP[streamClass]) { this.#refuse(streamClass, name, id, 'response-too-large'); return }
      // The handler slot is held until the response is queued, so responses to a peer that does not
      // read stay bounded by MAX_INBOUND_REQUESTS.
      await this.#host.enqueue(streamClass, directFrame(streamClass, name, DIRECT_TYPE.response, id, response.slice()), this.#host.signal)
    }
    void respond().catch(() => { /* the connection closed while answering */ }).finally(() => { this.#running-- })
  }

  /**
   * A refusal is a few bytes, but a peer could request without ever reading our answers: over the
   * high-water mark it is not queued and that requester times out instead.
   */
  #refuse(streamClass: 'mship' | 'pubsub', name: string, id: number, reason: RefusalReason): void {
    this.#host.tryEnqueue(streamClass, directFrame(streamClass, name, DIRECT_TYPE.refusal, id, new Uint8Array([refusalCode(reason)])))
  }
}
