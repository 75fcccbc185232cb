/**
 * Maps control-socket methods onto a running node (SPEC.md section 8.1): the JSON forms of
 * status, peers, publish results and delivered messages.
 */
import { toHex } from '@saorsa-gossip/types'
import type { SaorsaNode } from '../node.ts'
import type { MessageJson, PublishResultJson } from '../status.ts'
import type { ReceivedMessage } from '../subscription.ts'
import type { ControlHandlers } from './server.ts'

export function messageJson(m: ReceivedMessage): MessageJson {
  return {
    topic: m.topic, id: m.id.toHex(), origin: m.origin.toHex(), from: m.from.toHex(), hops: m.hops, seq: m.seq,
    timestampMs: m.timestampMs, payload: Buffer.from(m.payload).toString('base64'),
  }
}

export function controlHandlersFor(node: SaorsaNode, onLeave: () => void): ControlHandlers {
  return {
    status: () => node.status(),
    peers: () => node.peers(),
    topics: () => node.topics(),
    async publish(topic, payload, signal): Promise<PublishResultJson> {
      const r = await node.publish(topic, payload, { signal })
      return { topic, id: toHex(r.id.bytes), sentTo: r.sentTo }
    },
    async *subscribe(topic, signal) {
      for await (const m of node.subscribe(topic, { signal })) yield messageJson(m)
    },
    leave: onLeave,
  }
}
