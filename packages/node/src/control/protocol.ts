/**
 * Control-socket protocol (SPEC.md section 8): newline-delimited JSON over a Unix domain socket.
 * A request is `{"id": n, "method": m, "params": {...}}`; the reply is `{"id": n, "ok": true,
 * "result": ...}` or `{"id": n, "ok": false, "error": {"name", "message"}}`. A streaming method
 * (`subscribe`) replies once, then sends `{"id": n, "event": "message", "data": ...}` lines until
 * either side closes. Every line is capped and every request is validated before it is acted on.
 */
import { LIMITS } from '@saorsa-gossip/types'
import type { ControlMethodSpec, ControlMethods, MethodParams } from './methods/types.ts'

/** One line: a 64 KiB payload in base64 plus JSON framing fits with room to spare. */
export const MAX_CONTROL_LINE_BYTES = 256 * 1024
/** Concurrent control connections a node accepts. */
export const MAX_CONTROL_CONNECTIONS = 64

export const CONTROL_METHODS = ['status', 'peers', 'topics', 'publish', 'subscribe', 'leave'] as const
export type ControlMethod = (typeof CONTROL_METHODS)[number]

export type ControlRequest =
  | { id: number; method: 'status' | 'peers' | 'topics' | 'leave'; params: Record<string, never> }
  | { id: number; method: 'publish'; params: { topic: string; payload: Uint8Array } }
  | { id: number; method: 'subscribe'; params: { topic: string } }
  /** A layer method (`<layer>.<verb>`, section 8.1.1), with its parameters already validated by `spec.parse`. */
  | { id: number; method: 'layer'; name: string; params: MethodParams; spec: ControlMethodSpec }

export type ControlReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { name: string; message: string } }
  | { id: number; event: string; data: unknown }

/** A request line that cannot be acted on; the server answers it with `error.name = 'BadRequest'`. */
export class BadRequestError extends Error {
  override readonly name = 'BadRequest'
  readonly id: number
  constructor(message: string, id = 0) {
    super(message)
    this.id = id
  }
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

function topicParam(params: Record<string, unknown>, id: number): string {
  const topic = params.topic
  if (typeof topic !== 'string' || topic.length === 0 || Buffer.byteLength(topic) > LIMITS.maxTopicNameBytes) {
    throw new BadRequestError(`params.topic must be a topic name of 1..${LIMITS.maxTopicNameBytes} bytes`, id)
  }
  return topic
}

function exactKeys(params: Record<string, unknown>, allowed: readonly string[], id: number): void {
  for (const key of Object.keys(params)) {
    if (!allowed.includes(key)) throw new BadRequestError(`unknown parameter '${key}'`, id)
  }
}

/**
 * Parses and validates one request line (without its newline) against the core methods and the
 * layer `methods` this node serves. Throws `BadRequestError`.
 */
export function parseControlRequest(line: string, methods: ControlMethods = new Map()): ControlRequest {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    throw new BadRequestError('request is not valid JSON')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BadRequestError('request must be a JSON object')
  const { id, method, params = {} } = value as Record<string, unknown>
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) throw new BadRequestError('id must be a non-negative integer')
  const spec = typeof method === 'string' ? methods.get(method) : undefined
  if (typeof method !== 'string' || (spec === undefined && !(CONTROL_METHODS as readonly string[]).includes(method))) {
    throw new BadRequestError(`unknown method ${JSON.stringify(method)}`, id)
  }
  if (typeof params !== 'object' || params === null || Array.isArray(params)) throw new BadRequestError('params must be an object', id)
  const p = params as Record<string, unknown>
  if (spec !== undefined) return { id, method: 'layer', name: method, params: spec.parse(p, id), spec }
  switch (method as ControlMethod) {
    case 'publish': {
      exactKeys(p, ['topic', 'payload'], id)
      const topic = topicParam(p, id)
      const payload = p.payload
      if (typeof payload !== 'string' || !BASE64.test(payload) || payload.length % 4 !== 0) {
        throw new BadRequestError('params.payload must be base64', id)
      }
      const bytes = new Uint8Array(Buffer.from(payload, 'base64'))
      if (bytes.length > LIMITS.maxPayloadBytes) throw new BadRequestError(`payload over ${LIMITS.maxPayloadBytes} bytes`, id)
      return { id, method: 'publish', params: { topic, payload: bytes } }
    }
    case 'subscribe':
      exactKeys(p, ['topic'], id)
      return { id, method: 'subscribe', params: { topic: topicParam(p, id) } }
    default:
      exactKeys(p, [], id)
      return { id, method: method as 'status' | 'peers' | 'topics' | 'leave', params: {} }
  }
}

/** Serialises a request; `payload` bytes travel as base64. */
export function formatControlRequest(id: number, method: string, params: Record<string, unknown> = {}): string {
  const wire: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(params)) wire[k] = v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v
  return `${JSON.stringify({ id, method, params: wire })}\n`
}

/**
 * Splits a byte stream into lines, refusing any line longer than `maxLineBytes` (the caller closes
 * the connection then): memory per connection stays bounded whatever the peer sends.
 */
export class LineSplitter {
  private pending: Buffer[] = []
  private pendingBytes = 0
  constructor(private readonly maxLineBytes: number = MAX_CONTROL_LINE_BYTES) {}

  /** Returns complete lines, or `undefined` if the current line grew past the cap. */
  push(chunk: Buffer): string[] | undefined {
    const lines: string[] = []
    let start = 0
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl)
      if (this.pendingBytes + piece.length > this.maxLineBytes) return undefined
      this.pending.push(piece)
      lines.push(Buffer.concat(this.pending).toString('utf8'))
      this.pending = []
      this.pendingBytes = 0
      start = nl + 1
    }
    const rest = chunk.subarray(start)
    if (this.pendingBytes + rest.length > this.maxLineBytes) return undefined
    if (rest.length > 0) {
      this.pending.push(Buffer.from(rest))
      this.pendingBytes += rest.length
    }
    return lines
  }
}
