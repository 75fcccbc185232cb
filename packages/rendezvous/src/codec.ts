/**
 * Wire format of the rendezvous layer (SPEC.md section 11): the signed ProviderSummary that travels
 * on shard topics and in replies, and the messages of `/saorsa/rendezvous/1` (register, query,
 * reply, refused). Every field is capped and every list has a maximum count; decoders throw only DecodeError.
 */
import {
  decodeCbor, decodeSignedEnvelope, encodeCbor, encodeSignedEnvelope, LIMITS, PeerId, schema as s,
  type Infer,
} from '@saorsa-gossip/types'

export const SUMMARY_VERSION = 1
/** Signing domain of a provider summary (SPEC.md section 11.2). */
export const SUMMARY_DOMAIN = 'saorsa-gossip/rendezvous-summary/v1'
export const RENDEZVOUS_PROTOCOL_NAME = '/saorsa/rendezvous/1'

export const CAPABILITIES = ['SITE', 'IDENTITY', 'KEYPACKAGE', 'DOC'] as const
export type Capability = (typeof CAPABILITIES)[number]

export const SUMMARY_LIMITS = Object.freeze({
  /** ML-DSA-65 public key (FIPS 204 table 2). */
  publicKeyBytes: 1952,
  /** 1 KiB of Bloom filter is ~8,000 bits: about 1% false positives for 850 items at 7 hashes. */
  maxBloomBytes: 1024,
  /** Enough for one address per carrier and family (tcp/wt x IPv4/IPv6) plus relays. */
  maxAddressHints: 8,
  /** A `wt://[ipv6]:port/path` address fits easily; longer text is not an address. */
  maxHintChars: 128,
  /** Body cap: every field at its maximum (4,232 bytes) rounded up. */
  maxBodyBytes: 4400,
  /** Summaries per reply: 8 full summaries (~62 KB) stay under the pubsub class's 80 KiB frame cap. */
  maxReplySummaries: 8,
  /** Page size a query may ask for. */
  maxQueryLimit: 8,
  /** Longest retry time a refusal may state: an hour; servers ask for milliseconds (SPEC.md section 11.5.1). */
  maxRetryAfterMs: 3_600_000,
})

/** Why a node refused a query: `rate`, the requester is over its share; `busy`, all requesters together are over the node's. */
export const REFUSALS = ['rate', 'busy'] as const
export type Refusal = (typeof REFUSALS)[number]

/** Bytes of one signed summary at most: body, signature and the envelope's heads. */
export const MAX_SUMMARY_BYTES = SUMMARY_LIMITS.maxBodyBytes + LIMITS.mldsa65SignatureBytes + 32

const capabilitySet = s.transform(s.array(s.literal(...CAPABILITIES), { min: 1, max: CAPABILITIES.length }), (caps) => {
  if (new Set(caps).size !== caps.length) throw new Error('duplicate capability')
  return caps
})

const summaryBodySchema = s.object({
  v: s.literal(SUMMARY_VERSION),
  t: s.bytes({ length: 32 }),
  p: s.peerId(),
  k: s.bytes({ length: SUMMARY_LIMITS.publicKeyBytes }),
  c: capabilitySet,
  r: s.optional(s.bytes({ length: 32 })),
  m: s.optional(s.uint()),
  b: s.optional(s.bytes({ min: 1, max: SUMMARY_LIMITS.maxBloomBytes })),
  h: s.array(s.text({ max: SUMMARY_LIMITS.maxHintChars }), { max: SUMMARY_LIMITS.maxAddressHints }),
  i: s.uint(),
  e: s.uint(),
  s: s.uint(),
})

/** A provider summary as signed (SPEC.md section 11.2). Times are Unix milliseconds. */
export interface ProviderSummary {
  readonly version: number
  readonly target: Uint8Array
  readonly provider: PeerId
  readonly publicKey: Uint8Array
  readonly capabilities: readonly Capability[]
  /** Root hash of the provided content. */
  readonly contentRoot?: Uint8Array
  readonly manifestVersion?: number
  /** A Bloom filter of what the provider holds (opaque here). */
  readonly bloom?: Uint8Array
  readonly addressHints: readonly string[]
  readonly issuedAtMs: number
  /** Equal to `issuedAtMs` for a withdrawal. */
  readonly expiresAtMs: number
  readonly seq: number
}

/** A summary with the exact bytes it was signed and sent as. */
export interface SignedSummary {
  readonly summary: ProviderSummary
  readonly body: Uint8Array
  readonly sig: Uint8Array
  /** The whole envelope, as stored and forwarded (never re-encoded). */
  readonly bytes: Uint8Array
}

export function encodeSummaryBody(summary: ProviderSummary): Uint8Array {
  const body: Record<string, unknown> = {
    v: summary.version, t: summary.target, p: summary.provider.bytes, k: summary.publicKey, c: [...summary.capabilities],
  }
  if (summary.contentRoot !== undefined) body['r'] = summary.contentRoot
  if (summary.manifestVersion !== undefined) body['m'] = summary.manifestVersion
  if (summary.bloom !== undefined) body['b'] = summary.bloom
  body['h'] = [...summary.addressHints]
  body['i'] = summary.issuedAtMs
  body['e'] = summary.expiresAtMs
  body['s'] = summary.seq
  return encodeCbor(body)
}

export function decodeSummaryBody(body: Uint8Array): ProviderSummary {
  const b = decodeCbor(body, summaryBodySchema, { maxBytes: SUMMARY_LIMITS.maxBodyBytes })
  return {
    version: b.v, target: b.t, provider: b.p, publicKey: b.k, capabilities: b.c,
    ...(b.r === undefined ? {} : { contentRoot: b.r }),
    ...(b.m === undefined ? {} : { manifestVersion: b.m }),
    ...(b.b === undefined ? {} : { bloom: b.b }),
    addressHints: b.h, issuedAtMs: b.i, expiresAtMs: b.e, seq: b.s,
  }
}

export function encodeSignedSummary(body: Uint8Array, sig: Uint8Array): Uint8Array {
  return encodeSignedEnvelope({ body, sig })
}

/** Decodes the envelope and its body; the signature is not checked here (see `proto/validate.ts`). */
export function decodeSignedSummary(bytes: Uint8Array): SignedSummary {
  const { body, sig } = decodeSignedEnvelope(bytes, { maxBodyBytes: SUMMARY_LIMITS.maxBodyBytes })
  return { summary: decodeSummaryBody(body), body, sig, bytes: Uint8Array.from(bytes) }
}

const envelopeBytes = s.bytes({ min: 1, max: MAX_SUMMARY_BYTES })

const messageSchema = s.variant('k', {
  reg: s.object({ k: s.literal('reg'), s: envelopeBytes }),
  query: s.object({
    k: s.literal('query'),
    q: s.uint({ max: 0xffff_ffff }),
    t: s.bytes({ length: 32 }),
    c: s.optional(s.literal(...CAPABILITIES)),
    o: s.optional(s.uint()),
    n: s.uint({ min: 1, max: SUMMARY_LIMITS.maxQueryLimit }),
  }),
  reply: s.object({
    k: s.literal('reply'),
    q: s.uint({ max: 0xffff_ffff }),
    s: s.array(envelopeBytes, { max: SUMMARY_LIMITS.maxReplySummaries }),
    o: s.uint(),
    more: s.bool(),
  }),
  refused: s.object({
    k: s.literal('refused'),
    q: s.uint({ max: 0xffff_ffff }),
    why: s.literal(...REFUSALS),
    a: s.uint({ max: SUMMARY_LIMITS.maxRetryAfterMs }),
  }),
})

type RawMessage = Infer<typeof messageSchema>

/** Messages of `/saorsa/rendezvous/1`. Summaries stay encoded envelopes until validated. */
export type RendezvousMessage =
  | { readonly type: 'register'; readonly summary: Uint8Array }
  | {
    readonly type: 'query'; readonly queryId: number; readonly target: Uint8Array; readonly capability?: Capability
    /** Only summaries the server stored after this cursor (omitted: from the start). */
    readonly cursor?: number; readonly limit: number
  }
  | { readonly type: 'reply'; readonly queryId: number; readonly summaries: readonly Uint8Array[]; readonly cursor: number; readonly more: boolean }
  /** The answer to a query over the node's limits: ask this node again after `retryAfterMs`. */
  | { readonly type: 'refused'; readonly queryId: number; readonly why: Refusal; readonly retryAfterMs: number }

/** Largest encoded message: a full reply. */
export const MAX_MESSAGE_BYTES = SUMMARY_LIMITS.maxReplySummaries * (MAX_SUMMARY_BYTES + 3) + 64

export function encodeRendezvousMessage(msg: RendezvousMessage): Uint8Array {
  switch (msg.type) {
    case 'register': return encodeCbor({ k: 'reg', s: msg.summary })
    case 'query': {
      const out: Record<string, unknown> = { k: 'query', q: msg.queryId, t: msg.target }
      if (msg.capability !== undefined) out['c'] = msg.capability
      if (msg.cursor !== undefined) out['o'] = msg.cursor
      out['n'] = msg.limit
      return encodeCbor(out)
    }
    case 'reply': return encodeCbor({ k: 'reply', q: msg.queryId, s: [...msg.summaries], o: msg.cursor, more: msg.more })
    case 'refused': return encodeCbor({ k: 'refused', q: msg.queryId, why: msg.why, a: msg.retryAfterMs })
  }
}

export function decodeRendezvousMessage(bytes: Uint8Array): RendezvousMessage {
  const m: RawMessage = decodeCbor(bytes, messageSchema, { maxBytes: MAX_MESSAGE_BYTES })
  switch (m.k) {
    case 'reg': return { type: 'register', summary: m.s }
    case 'query': return {
      type: 'query', queryId: m.q, target: m.t, limit: m.n,
      ...(m.c === undefined ? {} : { capability: m.c }),
      ...(m.o === undefined ? {} : { cursor: m.o }),
    }
    case 'reply': return { type: 'reply', queryId: m.q, summaries: m.s, cursor: m.o, more: m.more }
    case 'refused': return { type: 'refused', queryId: m.q, why: m.why, retryAfterMs: m.a }
  }
}
