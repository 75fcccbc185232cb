/**
 * The direct-message envelope (SPEC.md section 5.5, kinds 0x03 and 0x04): after the protocol name,
 * `u8 type`, then for requests, responses and refusals a `u32be` request id chosen by the requester,
 * then the data (a refusal's data is one code byte). Parsing never throws: anything malformed is
 * reported as undefined and counted as a drop by the caller.
 */
import type { RefusalReason } from '../errors.ts'
import { FRAME_KIND, prefixedFrame, readU32, tagged, writeU32, type OutFrame } from '../frames.ts'
import { encodeProtocolName, readProtocolName } from '../protocols.ts'

export const DIRECT_TYPE = Object.freeze({ oneWay: 0x00, request: 0x01, response: 0x02, refusal: 0x03 })

const REFUSAL_CODES: readonly RefusalReason[] = ['no-handler', 'handler-failed', 'busy', 'response-too-large']

export function refusalCode(reason: RefusalReason): number {
  return REFUSAL_CODES.indexOf(reason) + 1
}

export function refusalReason(code: number): RefusalReason | undefined {
  return REFUSAL_CODES[code - 1]
}

export type DirectFrame =
  | { readonly type: 'one-way'; readonly name: string; readonly data: Uint8Array }
  | { readonly type: 'request' | 'response'; readonly name: string; readonly id: number; readonly data: Uint8Array }
  | { readonly type: 'refusal'; readonly name: string; readonly id: number; readonly reason: RefusalReason }

export function directFrame(streamClass: 'mship' | 'pubsub', name: string, type: number, id: number, data: Uint8Array): OutFrame {
  const route = encodeProtocolName(name)
  const withId = type !== DIRECT_TYPE.oneWay
  const prefix = new Uint8Array(route.length + 1 + (withId ? 4 : 0))
  prefix.set(route, 0)
  prefix[route.length] = type
  if (withId) writeU32(prefix, route.length + 1, id)
  return tagged(prefixedFrame(streamClass === 'mship' ? FRAME_KIND.mshipDirect : FRAME_KIND.pubsubDirect, prefix, data), name)
}

export function parseDirectFrame(body: Uint8Array): DirectFrame | undefined {
  const route = readProtocolName(body, 0)
  if (route === undefined || route.end >= body.length) return undefined
  const type = body[route.end]!
  if (type === DIRECT_TYPE.oneWay) return { type: 'one-way', name: route.name, data: body.subarray(route.end + 1) }
  if (body.length < route.end + 5) return undefined
  const id = readU32(body, route.end + 1)
  const data = body.subarray(route.end + 5)
  switch (type) {
    case DIRECT_TYPE.request: return { type: 'request', name: route.name, id, data }
    case DIRECT_TYPE.response: return { type: 'response', name: route.name, id, data }
    case DIRECT_TYPE.refusal: {
      const reason = data.length === 1 ? refusalReason(data[0]!) : undefined
      return reason === undefined ? undefined : { type: 'refusal', name: route.name, id, reason }
    }
    default: return undefined
  }
}
