/**
 * The node's crdt-sync service (SPEC.md section 12): `@saorsa-gossip/crdt-sync` on the node's pubsub
 * and transport, replicas stored under `<home>/crdt/`, and the list of documents opened through the
 * node kept in `<home>/crdt/documents.json`, so a restarted node reopens them at once and catches up
 * by anti-entropy instead of waiting for someone to open them again. Kept out of `node.ts` so the
 * node stays a list of services.
 */
import { mkdir, readFile } from 'node:fs/promises'
import {
  CRDT_LAN, CRDT_LOCAL, CRDT_WAN, CrdtSyncService, type CrdtGroup, type CrdtSync, type DocFor, type DocType, type Replica,
} from '@saorsa-gossip/crdt-sync'
import type { PubSub } from '@saorsa-gossip/pubsub'
import type { Transport } from '@saorsa-gossip/transport'
import type { AbortOptions, PeerId } from '@saorsa-gossip/types'
import { writeFileAtomic } from '@saorsa-gossip/types/fs'
import type { PresetName } from './config/node-config.ts'

const PRESETS = { local: CRDT_LOCAL, lan: CRDT_LAN, wan: CRDT_WAN } as const
const DOC_TYPES: readonly DocType[] = ['set', 'map', 'register', 'counter', 'text']
/** Documents a node reopens at start, at most: a manifest beyond it is truncated, not trusted to grow. */
const MAX_REMEMBERED_DOCS = 1_024

interface Remembered { readonly name: string; readonly type: DocType }

/** The service with the node's memory of opened documents (group-bound ones are not remembered: the group is not stored here). */
class NodeCrdtSync extends CrdtSyncService {
  readonly #manifest: string | undefined
  readonly #remembered = new Map<string, Remembered>()
  #writes: Promise<void> = Promise.resolve()

  constructor(config: ConstructorParameters<typeof CrdtSyncService>[0], components: ConstructorParameters<typeof CrdtSyncService>[1], manifest: string | undefined) {
    super(config, components)
    this.#manifest = manifest
  }

  override async open<T extends DocType>(docId: string, options: { type: T; group?: CrdtGroup } & AbortOptions): Promise<Replica<DocFor<T>>> {
    const replica = await super.open(docId, options)
    if (options.group === undefined && this.#manifest !== undefined && !this.#remembered.has(docId) && this.#remembered.size < MAX_REMEMBERED_DOCS) {
      this.#remembered.set(docId, { name: docId, type: options.type })
      const json = JSON.stringify([...this.#remembered.values()])
      const path = this.#manifest
      this.#writes = this.#writes.then(() => writeFileAtomic(path, json)).catch(() => {})
      await this.#writes
    }
    return replica
  }

  /** Reopens the documents of the manifest; an unreadable manifest reopens nothing (the replicas stay on disk). */
  async reopen(options: AbortOptions): Promise<void> {
    if (this.#manifest === undefined) return
    let entries: unknown
    try {
      entries = JSON.parse(await readFile(this.#manifest, 'utf8'))
    } catch {
      return
    }
    if (!Array.isArray(entries)) return
    for (const e of entries.slice(0, MAX_REMEMBERED_DOCS)) {
      const { name, type } = (e ?? {}) as { name?: unknown; type?: unknown }
      if (typeof name !== 'string' || !DOC_TYPES.includes(type as DocType)) continue
      this.#remembered.set(name, { name, type: type as DocType })
      await super.open(name, { type: type as DocType, ...options })
    }
  }
}

export function createNodeCrdt(parts: {
  readonly peerId: PeerId
  readonly transport: Transport
  readonly pubsub: PubSub
  readonly preset: PresetName
  /** `<home>/crdt`; without it replicas live in memory only. */
  readonly storeDir?: string
}): { readonly service: CrdtSync; start(options: AbortOptions): Promise<void> } {
  const manifest = parts.storeDir === undefined ? undefined : `${parts.storeDir}/documents.json`
  const service = new NodeCrdtSync(
    { config: PRESETS[parts.preset], ...(parts.storeDir === undefined ? {} : { storeDir: parts.storeDir }) },
    { peerId: parts.peerId, transport: parts.transport, pubsub: parts.pubsub },
    manifest,
  )
  return {
    service,
    async start(options) {
      if (parts.storeDir !== undefined) await mkdir(parts.storeDir, { recursive: true, mode: 0o700 })
      service.start()
      await service.reopen(options)
    },
  }
}
