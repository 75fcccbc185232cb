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
import type { Groups } from '@saorsa-gossip/groups'
import { toHex, type AbortOptions, type PeerId } from '@saorsa-gossip/types'
import { writeFileAtomic } from '@saorsa-gossip/types/fs'
import type { PresetName } from './config/node-config.ts'

const PRESETS = { local: CRDT_LOCAL, lan: CRDT_LAN, wan: CRDT_WAN } as const
const DOC_TYPES: readonly DocType[] = ['set', 'map', 'register', 'counter', 'text']
/** Documents a node reopens at start, at most: a manifest beyond it is truncated, not trusted to grow. */
const MAX_REMEMBERED_DOCS = 1_024

interface Remembered { readonly name: string; readonly type: DocType; readonly group?: string }

/** One of the node's MLS groups as crdt-sync's `CrdtGroup`, with its id so the document can be reopened in it. */
export interface NodeCrdtGroup extends CrdtGroup {
  /** The MLS group id, hex. */
  readonly groupId: string
}

/** Binds a document to `groupId` of the node's groups: keys follow that group's epochs (SPEC.md section 12.7). */
export function crdtGroupOf(groups: Groups, groupId: Uint8Array): NodeCrdtGroup {
  return {
    groupId: toHex(groupId),
    get epoch() { return groups.epoch(groupId) },
    exportSecret: (label, length) => groups.exportSecret(groupId, label, length),
  }
}

/**
 * The service with the node's memory of opened documents. A group-bound document is remembered with
 * its group's id when it was opened in one of the node's groups (`crdtGroupOf`), and reopened in it
 * while the node is still a member; other groups are not the node's to store.
 */
class NodeCrdtSync extends CrdtSyncService {
  readonly #manifest: string | undefined
  readonly #groupOf: (groupId: string) => NodeCrdtGroup | undefined
  readonly #remembered = new Map<string, Remembered>()
  #writes: Promise<void> = Promise.resolve()

  constructor(
    config: ConstructorParameters<typeof CrdtSyncService>[0], components: ConstructorParameters<typeof CrdtSyncService>[1], manifest: string | undefined,
    groupOf: (groupId: string) => NodeCrdtGroup | undefined,
  ) {
    super(config, components)
    this.#manifest = manifest
    this.#groupOf = groupOf
  }

  override async open<T extends DocType>(docId: string, options: { type: T; group?: CrdtGroup } & AbortOptions): Promise<Replica<DocFor<T>>> {
    const replica = await super.open(docId, options)
    const group = (options.group as Partial<NodeCrdtGroup> | undefined)?.groupId
    const storable = options.group === undefined || typeof group === 'string'
    if (storable && this.#manifest !== undefined && !this.#remembered.has(docId) && this.#remembered.size < MAX_REMEMBERED_DOCS) {
      this.#remembered.set(docId, { name: docId, type: options.type, ...(group === undefined ? {} : { group }) })
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
      const { name, type, group } = (e ?? {}) as { name?: unknown; type?: unknown; group?: unknown }
      if (typeof name !== 'string' || !DOC_TYPES.includes(type as DocType) || (group !== undefined && typeof group !== 'string')) continue
      // A document of a group this node has left stays on disk, unopened: its keys are gone with the group.
      const bound = typeof group === 'string' ? this.#groupOf(group) : undefined
      if (typeof group === 'string' && bound === undefined) continue
      this.#remembered.set(name, { name, type: type as DocType, ...(bound === undefined ? {} : { group: bound.groupId }) })
      await super.open(name, { type: type as DocType, ...(bound === undefined ? {} : { group: bound }), ...options })
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
  /** The node's groups, for documents bound to one of them. */
  readonly groups: () => Groups | undefined
}): { readonly service: CrdtSync; start(options: AbortOptions): Promise<void> } {
  const manifest = parts.storeDir === undefined ? undefined : `${parts.storeDir}/documents.json`
  const service = new NodeCrdtSync(
    { config: PRESETS[parts.preset], ...(parts.storeDir === undefined ? {} : { storeDir: parts.storeDir }) },
    { peerId: parts.peerId, transport: parts.transport, pubsub: parts.pubsub },
    manifest,
    (groupId) => {
      const groups = parts.groups()
      const id = groups?.list().find((g) => toHex(g) === groupId)
      return groups === undefined || id === undefined ? undefined : crdtGroupOf(groups, id)
    },
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
