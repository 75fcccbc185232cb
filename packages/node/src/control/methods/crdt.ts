/**
 * Control methods of crdt-sync (SPEC.md section 12.8): `crdt.open`, `crdt.edit`, `crdt.get`,
 * `crdt.watch`, `crdt.sync` and `crdt.list` on the running node's `node.crdt`. A document opened
 * here is remembered by the node and reopened when it restarts. `crdt.edit` answers once the change
 * is on disk, so an acknowledged edit survives a crash.
 */
import { CRDT_LIMITS, type DocState, type DocType, type LwwValue, type Replica } from '@saorsa-gossip/crdt-sync'
import { toHex } from '@saorsa-gossip/types'
import type { SaorsaNode } from '../../node.ts'
import { crdtGroupOf } from '../../crdt.ts'
import { BadRequestError } from '../protocol.ts'
import { exactKeys, intParam, stringParam } from './params.ts'
import type { ControlMethodsFactory, MethodParams } from './types.ts'

const DOC_TYPES: readonly DocType[] = ['set', 'map', 'register', 'counter', 'text']
/** Edits by document type: the verbs `crdt.edit` accepts for each. */
const OPS: Readonly<Record<DocType, readonly string[]>> = {
  set: ['add', 'remove'],
  map: ['set', 'delete'],
  register: ['assign'],
  counter: ['add'],
  text: ['insert', 'delete'],
}
/** A text edit carries at most one register value's worth of characters, so it fits a delta. */
const MAX_TEXT_BYTES = CRDT_LIMITS.maxValueBytes
const MAX_TEXT_INDEX = 2 ** 31 - 1
/** A document's topic is `crdt/<name>`, and a topic name is at most maxDocNameBytes. */
const MAX_DOC_NAME_BYTES = CRDT_LIMITS.maxDocNameBytes - 'crdt/'.length

/** The JSON form of a document's value, by type. */
export type DocValueJson = string[] | Record<string, JsonValue> | JsonValue | number | string
type JsonValue = string | number | boolean | null | { base64: string }

function jsonOf(value: LwwValue | undefined): JsonValue {
  if (value === undefined) return null
  return value instanceof Uint8Array ? { base64: Buffer.from(value).toString('base64') } : value
}

function valueOf(replica: Replica<DocState>): DocValueJson {
  const doc = replica.doc as unknown as {
    values?: () => string[]; keys?: () => string[]; get?: (k: string) => LwwValue | undefined; value?: unknown; toString(): string
  }
  switch (replica.type) {
    case 'set': return doc.values!()
    case 'map': return Object.fromEntries(doc.keys!().map((k) => [k, jsonOf(doc.get!(k))]))
    case 'register': return jsonOf((doc.value as () => LwwValue | undefined).call(doc))
    case 'counter': return doc.value as number
    case 'text': return doc.toString()
  }
}

function docParam(p: MethodParams, id: number): string {
  return stringParam(p, 'doc', id, MAX_DOC_NAME_BYTES)!
}

function typeParam(p: MethodParams, id: number, optional: boolean): DocType | undefined {
  const v = p['type']
  if (v === undefined && optional) return undefined
  if (!DOC_TYPES.includes(v as DocType)) throw new BadRequestError(`params.type must be one of ${DOC_TYPES.join(', ')}`, id)
  return v as DocType
}

function scalarParam(p: MethodParams, name: string, id: number): LwwValue {
  const v = p[name]
  const ok = v === null || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))
    || (typeof v === 'string' && Buffer.byteLength(v) <= CRDT_LIMITS.maxValueBytes)
  if (!ok) throw new BadRequestError(`params.${name} must be null, true, false, a finite number or a string of at most ${CRDT_LIMITS.maxValueBytes} bytes`, id)
  return v as LwwValue
}

/** Reads and checks the parameters of one `crdt.edit` (an op valid for the type and exactly its fields). */
function parseEdit(p: MethodParams, id: number): MethodParams {
  const type = typeParam(p, id, false)!
  const op = p['op']
  if (typeof op !== 'string' || !OPS[type].includes(op)) throw new BadRequestError(`params.op must be one of ${OPS[type].join(', ')} for a ${type}`, id)
  const base = { doc: docParam(p, id), type, op }
  const key = () => stringParam(p, 'key', id, CRDT_LIMITS.maxKeyLength)!
  switch (`${type}.${op}`) {
    case 'set.add': case 'set.remove':
      exactKeys(p, ['doc', 'type', 'op', 'element'], id)
      return { ...base, element: stringParam(p, 'element', id, CRDT_LIMITS.maxKeyLength)! }
    case 'map.set':
      exactKeys(p, ['doc', 'type', 'op', 'key', 'value'], id)
      return { ...base, key: key(), value: scalarParam(p, 'value', id) }
    case 'map.delete':
      exactKeys(p, ['doc', 'type', 'op', 'key'], id)
      return { ...base, key: key() }
    case 'register.assign':
      exactKeys(p, ['doc', 'type', 'op', 'value'], id)
      return { ...base, value: scalarParam(p, 'value', id) }
    case 'counter.add':
      exactKeys(p, ['doc', 'type', 'op', 'by'], id)
      return { ...base, by: intParam(p, 'by', id, -(2 ** 32), 2 ** 32)! }
    case 'text.insert':
      exactKeys(p, ['doc', 'type', 'op', 'at', 'text'], id)
      return { ...base, at: intParam(p, 'at', id, 0, MAX_TEXT_INDEX)!, text: stringParam(p, 'text', id, MAX_TEXT_BYTES)! }
    default:
      exactKeys(p, ['doc', 'type', 'op', 'at', 'length'], id)
      return { ...base, at: intParam(p, 'at', id, 0, MAX_TEXT_INDEX)!, length: intParam(p, 'length', id, 1, MAX_TEXT_INDEX)! }
  }
}

/** Applies a parsed edit to an open replica; positions past the end of a text are a RangeError naming them. */
function applyEdit(replica: Replica<DocState>, p: MethodParams): void {
  const doc = replica.doc as unknown as Record<string, (...args: unknown[]) => void> & { toString(): string }
  switch (`${replica.type}.${String(p['op'])}`) {
    case 'set.add': return doc['add']!(p['element'])
    case 'set.remove': return doc['remove']!(p['element'])
    case 'map.set': return doc['set']!(p['key'], p['value'])
    case 'map.delete': return doc['delete']!(p['key'])
    case 'register.assign': return doc['assign']!(p['value'])
    case 'counter.add': return doc['add']!(p['by'])
    case 'text.insert': {
      const length = doc.toString().length
      if ((p['at'] as number) > length) throw new RangeError(`at ${String(p['at'])} is past the end of the text (length ${length})`)
      return doc['insert']!(p['at'], p['text'])
    }
    default: {
      const length = doc.toString().length
      if ((p['at'] as number) + (p['length'] as number) > length) throw new RangeError(`at + length is past the end of the text (length ${length})`)
      return doc['delete']!(p['at'], p['length'])
    }
  }
}

export const crdtMethods: ControlMethodsFactory = (node: SaorsaNode) => {
  /** The open replica of `doc`, opening it when `type` is given; a document not open and no type is an error naming it. */
  const replicaOf = async (doc: string, type: DocType | undefined, signal: AbortSignal, group?: string): Promise<Replica<DocState>> => {
    const open = node.crdt.replica(doc)
    if (open !== undefined && (type === undefined || open.type === type)) return open
    if (type === undefined) throw new RangeError(`document '${doc}' is not open on this node; give its type to open it`)
    const bound = group === undefined ? undefined : groupNamed(group)
    return (await node.crdt.open(doc, { type, signal, ...(bound === undefined ? {} : { group: bound }) })) as unknown as Replica<DocState>
  }
  /** One of the node's groups by its id or a unique prefix of 8+ hex digits. */
  const groupNamed = (prefix: string) => {
    const matches = node.groups.list().filter((id) => toHex(id).startsWith(prefix))
    if (matches.length !== 1) {
      throw new RangeError(matches.length === 0 ? `no group of this node has an id starting '${prefix}'` : `'${prefix}' matches ${matches.length} groups; give more hex digits`)
    }
    return crdtGroupOf(node.groups, matches[0]!)
  }
  const view = (r: Replica<DocState>) => ({ doc: r.docId, type: r.type, value: valueOf(r) })
  return {
    'crdt.open': {
      parse: (p, id) => {
        exactKeys(p, ['doc', 'type', 'group'], id)
        const group = p['group']
        if (group !== undefined && (typeof group !== 'string' || !/^[0-9a-f]{8,64}$/.test(group))) throw new BadRequestError('params.group must be 8..64 lower-case hex digits of a group id', id)
        return { doc: docParam(p, id), type: typeParam(p, id, false), ...(group === undefined ? {} : { group }) }
      },
      run: async (p, signal) => view(await replicaOf(p['doc'] as string, p['type'] as DocType, signal, p['group'] as string | undefined)),
    },
    'crdt.edit': {
      parse: parseEdit,
      run: async (p, signal) => {
        const replica = await replicaOf(p['doc'] as string, p['type'] as DocType, signal)
        applyEdit(replica, p)
        await replica.flushed({ signal })
        return { ...view(replica), durable: true }
      },
    },
    'crdt.get': {
      parse: (p, id) => {
        exactKeys(p, ['doc', 'type'], id)
        const type = typeParam(p, id, true)
        return { doc: docParam(p, id), ...(type === undefined ? {} : { type }) }
      },
      run: async (p, signal) => view(await replicaOf(p['doc'] as string, p['type'] as DocType | undefined, signal)),
    },
    'crdt.watch': {
      parse: (p, id) => {
        exactKeys(p, ['doc', 'type'], id)
        const type = typeParam(p, id, true)
        return { doc: docParam(p, id), ...(type === undefined ? {} : { type }) }
      },
      event: 'change',
      async *stream(p, signal) {
        const replica = await replicaOf(p['doc'] as string, p['type'] as DocType | undefined, signal)
        // The current value first, then one event per change (local or remote), coalesced while the reader is busy.
        let wake: (() => void) | undefined
        let changed = true
        let change: 'current' | 'local' | 'remote' = 'current'
        const onChange = (e: Event) => {
          change = (e as CustomEvent<{ local: boolean }>).detail.local ? 'local' : 'remote'
          changed = true
          wake?.()
        }
        const onAbort = () => wake?.()
        replica.addEventListener('change', onChange)
        signal.addEventListener('abort', onAbort)
        try {
          while (!signal.aborted) {
            if (changed) {
              changed = false
              yield { ...view(replica), change }
              continue
            }
            await new Promise<void>((resolve) => { wake = resolve })
            wake = undefined
          }
        } finally {
          replica.removeEventListener('change', onChange)
          signal.removeEventListener('abort', onAbort)
        }
      },
    },
    'crdt.sync': {
      parse: (p, id) => {
        exactKeys(p, ['doc'], id)
        return { doc: docParam(p, id) }
      },
      run: (p) => {
        const doc = p['doc'] as string
        if (node.crdt.replica(doc) === undefined) throw new RangeError(`document '${doc}' is not open on this node`)
        node.crdt.syncNow(doc)
        return { doc, metrics: node.crdt.docMetrics(doc) }
      },
    },
    'crdt.list': {
      parse: (p, id) => {
        exactKeys(p, [], id)
        return {}
      },
      run: () => node.crdt.replicas().map((r) => ({ doc: r.docId, type: r.type })),
    },
  }
}
