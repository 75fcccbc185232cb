/**
 * The transport's protocol table (SPEC.md section 5.5): one namespace of names, each routed to a
 * message handler, a direct (request/response) handler or a stream handler. A second registration of
 * a name fails loudly instead of silently replacing the first user.
 */
import { InvalidParametersError } from '@saorsa-gossip/types'
import { ProtocolAlreadyHandledError } from './errors.ts'
import { validateMessageProtocol, validateProtocolName, validateStreamProtocol, type MessageProtocol, type StreamProtocol } from './protocols.ts'
import type { DirectHandler, MessageHandler, StreamHandler } from './types.ts'

export type Route =
  | { readonly kind: 'message'; readonly protocol: MessageProtocol; readonly handler: MessageHandler }
  | { readonly kind: 'direct'; readonly protocol: MessageProtocol; readonly handler: DirectHandler }
  | { readonly kind: 'stream'; readonly protocol: StreamProtocol; readonly handler: StreamHandler }

export class ProtocolRoutes {
  readonly #routes = new Map<string, Route>()

  get(name: string): Route | undefined {
    return this.#routes.get(name)
  }

  add(kind: Route['kind'], protocol: MessageProtocol | StreamProtocol, handler: unknown, argument: string): void {
    if (kind === 'stream') validateStreamProtocol(protocol as StreamProtocol, argument)
    else validateMessageProtocol(protocol as MessageProtocol, argument)
    if (typeof handler !== 'function') throw new InvalidParametersError(`${argument}: handler must be a function`)
    if (this.#routes.has(protocol.name)) throw new ProtocolAlreadyHandledError(`${argument}: "${protocol.name}" already has a handler`)
    // A frozen copy, so a caller mutating its protocol object cannot change routing behind our back.
    const frozen = kind === 'stream'
      ? Object.freeze({ name: protocol.name, maxBytes: (protocol as StreamProtocol).maxBytes })
      : Object.freeze({ name: protocol.name, streamClass: (protocol as MessageProtocol).streamClass })
    this.#routes.set(protocol.name, { kind, protocol: frozen, handler } as Route)
  }

  remove(protocol: MessageProtocol | StreamProtocol | string): void {
    const name = typeof protocol === 'string' ? protocol : protocol?.name
    validateProtocolName(name, 'unhandle')
    this.#routes.delete(name)
  }
}
