/** Protocols the transport tests route on: one per message class, and a bulk stream protocol. */
import type { MessageProtocol, StreamProtocol } from '../src/protocols.ts'

export const MSHIP = Object.freeze({ name: '/test/mship/1', streamClass: 'mship' }) satisfies MessageProtocol
export const PUBSUB = Object.freeze({ name: '/test/pubsub/1', streamClass: 'pubsub' }) satisfies MessageProtocol
export const BULK = Object.freeze({ name: '/test/bulk/1', maxBytes: 64 * 1024 * 1024 }) satisfies StreamProtocol
