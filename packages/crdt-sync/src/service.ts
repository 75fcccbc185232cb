/**
 * The crdt-sync service: every open document's sync core on the shared driver runtime
 * (`@saorsa-gossip/types/runtime`), wired to pubsub (one topic per document, with a validator that
 * binds each delta to its signed origin) and to the transport's named protocols (sync messages on
 * `/saorsa/crdt/sync/1`, snapshots on the bulk stream `/saorsa/crdt/snapshot/1`). Local deltas are
 * published only after their store write is durable, so a restart never reuses a sequence number.
 */
import { join } from 'node:path'
import { DecodeError, TopicId, cryptoRng, systemClock, throwIfAborted, type AbortOptions, type Clock, type PeerId, type Rng } from '@saorsa-gossip/types'
import { CoreRuntime } from '@saorsa-gossip/types/runtime'
import {
  CHANNEL_CAPS, channelOf, decodeSyncFrame, decodeWireFrame, encodeSealedFrame, encodeSyncFrame, topicDeltaVerdict, type SyncChannel, type SyncFrame,
} from './codec.ts'
import { CRDT_WAN } from './config.ts'
import { DocTypeError } from './errors.ts'
import { DocCipher, type CrdtGroup } from './group-key.ts'
import { CounterDoc, MapDoc, RegisterDoc, SetDoc } from './docs/crdt-docs.ts'
import type { DocState, DocType } from './docs/doc-state.ts'
import { TextDoc } from './docs/text-doc.ts'
import type { SyncConfig } from './proto/config.ts'
import { DocsCore, type DocMessage, type DocsCommand, type DocsEvent, type DocTimer } from './proto/docs-core.ts'
import type { DocSyncMetrics } from './proto/sync.ts'
import { Replica, type DocFor } from './replica-handle.ts'
import { loadDoc } from './store/replica-store.ts'
import type { LogFile } from './store/log-file.ts'

export const CRDT_SYNC_PROTOCOL = Object.freeze({ name: '/saorsa/crdt/sync/1', streamClass: 'pubsub' as const })
export const CRDT_SNAPSHOT_PROTOCOL = Object.freeze({ name: '/saorsa/crdt/snapshot/1', maxBytes: CHANNEL_CAPS.bulk })

/** What crdt-sync needs of a transport connection (structural, so any transport fits). */
export interface CrdtConnection {
  send(protocol: typeof CRDT_SYNC_PROTOCOL, message: Uint8Array, options?: AbortOptions): Promise<void>
  openStream(protocol: typeof CRDT_SNAPSHOT_PROTOCOL, options?: AbortOptions): Promise<{ write(chunk: Uint8Array): Promise<void>; close(): Promise<void> }>
}

export interface CrdtTransport {
  handle(protocol: typeof CRDT_SYNC_PROTOCOL, handler: (message: Uint8Array, connection: { readonly remotePeer: PeerId }) => void): void
  handleStream(protocol: typeof CRDT_SNAPSHOT_PROTOCOL, handler: (stream: { readonly remotePeer: PeerId; bytes(): Promise<Uint8Array> }, connection: unknown) => void): void
  unhandle(name: string): void
  connectionTo(peer: PeerId): CrdtConnection | undefined
}

type Verdict = 'accept' | 'reject' | 'ignore'

/** What crdt-sync needs of pubsub: topics, a validator per topic (asynchronous for group-bound documents), publish, and delivery events. */
export interface CrdtPubSub {
  join(topic: TopicId): void
  leave(topic: TopicId): void
  addValidator(topic: TopicId, validator: (m: { readonly origin: PeerId; readonly payload: Uint8Array }) => Verdict | Promise<Verdict>): void
  removeValidator(topic: TopicId): void
  publish(topic: TopicId, data: Uint8Array): Promise<unknown>
  addEventListener(type: 'message' | 'topic:peer-up' | 'topic:peer-down', listener: (event: Event) => void): void
  removeEventListener(type: 'message' | 'topic:peer-up' | 'topic:peer-down', listener: (event: Event) => void): void
}

export interface CrdtSyncInit {
  /** Sync tunables (default `CRDT_WAN`). */
  readonly config?: SyncConfig
  /** Directory of the replica logs; without it replicas live in memory only. */
  readonly storeDir?: string
}

export interface CrdtSyncComponents {
  readonly peerId: PeerId
  readonly transport: CrdtTransport
  readonly pubsub: CrdtPubSub
  readonly clock?: Clock
  readonly rng?: Rng
  /** Milliseconds since the epoch, for LWW stamps (default `Date.now`). */
  readonly wallClock?: () => number
}

export interface CrdtSyncMetrics {
  readonly open: number
  /**
   * `sealed`: a sealed frame this replica cannot open (not a member, an epoch whose key it lacks, or
   * tampered); `not-sealed`: a plain frame for a document bound to a group.
   */
  readonly drops: Record<'decode' | 'wrong-origin' | 'no-connection' | 'send-failed' | 'unknown-doc' | 'store-failed' | 'core-error' | 'sealed' | 'not-sealed', number>
}

interface OpenDoc {
  readonly replica: Replica<DocState>
  readonly log: LogFile | undefined
  /** Present when the document is bound to a group: every frame is sealed under its key. */
  readonly cipher: DocCipher | undefined
  /** Resolves when every store write queued so far is durable; publishes wait on it. */
  durable: Promise<void>
  lastSnapshotBytes: number
}

export class CrdtSyncService {
  readonly #components: CrdtSyncComponents
  readonly #init: CrdtSyncInit
  readonly #core: DocsCore
  readonly #runtime: CoreRuntime<DocMessage, DocTimer, DocsCommand, DocsEvent>
  readonly #docs = new Map<string, OpenDoc>()
  readonly #drops: Record<keyof CrdtSyncMetrics['drops'], number> = {
    decode: 0, 'wrong-origin': 0, 'no-connection': 0, 'send-failed': 0, 'unknown-doc': 0, 'store-failed': 0, 'core-error': 0,
    sealed: 0, 'not-sealed': 0,
  }
  #lifetime: AbortController | undefined

  constructor(init: CrdtSyncInit, components: CrdtSyncComponents) {
    this.#init = init
    this.#components = components
    this.#core = new DocsCore({ self: components.peerId.toHex(), config: init.config ?? CRDT_WAN, rng: components.rng ?? cryptoRng() })
    this.#runtime = new CoreRuntime({
      core: this.#core,
      clock: components.clock ?? systemClock,
      send: (to, msg) => this.#send(to, msg),
      emit: (event) => this.#emit(event),
      onCoreError: () => { this.#drops['core-error']++ },
    })
  }

  get isStarted(): boolean {
    return this.#lifetime !== undefined
  }

  start(): void {
    if (this.#lifetime !== undefined) return
    this.#lifetime = new AbortController()
    const { transport, pubsub } = this.#components
    transport.handle(CRDT_SYNC_PROTOCOL, (bytes, conn) => this.#receive(bytes, 'request', conn.remotePeer))
    transport.handleStream(CRDT_SNAPSHOT_PROTOCOL, (stream) => {
      stream.bytes().then((bytes) => this.#receive(bytes, 'bulk', stream.remotePeer), () => { this.#drops.decode++ })
    })
    pubsub.addEventListener('message', this.#onMessage)
    pubsub.addEventListener('topic:peer-up', this.#onTopicPeer)
    pubsub.addEventListener('topic:peer-down', this.#onTopicPeer)
    this.#runtime.start({ signal: this.#lifetime.signal })
  }

  async stop(): Promise<void> {
    if (this.#lifetime === undefined) return
    for (const open of [...this.#docs.values()]) await open.replica.close()
    const { transport, pubsub } = this.#components
    transport.unhandle(CRDT_SYNC_PROTOCOL.name)
    transport.unhandle(CRDT_SNAPSHOT_PROTOCOL.name)
    pubsub.removeEventListener('message', this.#onMessage)
    pubsub.removeEventListener('topic:peer-up', this.#onTopicPeer)
    pubsub.removeEventListener('topic:peer-down', this.#onTopicPeer)
    this.#lifetime.abort()
    this.#lifetime = undefined
  }

  /**
   * Opens (loading from the store, if any) the document `docId` of type `type`; DocTypeError on a
   * type clash. With `group`, every frame of the document is sealed under a key from the group's MLS
   * exporter (SPEC.md 12.7): peers outside the group see only ciphertext, and plain frames are refused.
   */
  async open<T extends DocType>(docId: string, options: { type: T; group?: CrdtGroup } & AbortOptions): Promise<Replica<DocFor<T>>> {
    throwIfAborted(options.signal)
    if (this.#lifetime === undefined) throw new DocTypeError('crdt-sync is not started')
    const topic = TopicId.fromName(`crdt/${docId}`)
    const key = topic.toHex()
    const existing = this.#docs.get(key)
    if (existing !== undefined) {
      if (existing.replica.doc.type !== options.type) throw new DocTypeError(`document ${docId} is open as ${existing.replica.doc.type}, not ${options.type}`)
      if ((existing.cipher === undefined) !== (options.group === undefined)) throw new DocTypeError(`document ${docId} is open ${existing.cipher === undefined ? 'without' : 'with'} a group`)
      return existing.replica as unknown as Replica<DocFor<T>>
    }
    const doc = this.#newDoc(options.type)
    const cipher = options.group === undefined ? undefined : await DocCipher.create(options.group, docId, topic)
    throwIfAborted(options.signal)
    const loaded = this.#init.storeDir === undefined ? undefined : await loadDoc(join(this.#init.storeDir, `${key}.crdt`), doc, options.signal)
    const replica = new Replica<DocState>(docId, topic, doc, () => this.#close(key))
    const open: OpenDoc = { replica, log: loaded?.log, cipher, durable: Promise.resolve(), lastSnapshotBytes: 0 }
    this.#docs.set(key, open)
    doc.onLocal = (payload) => this.#runtime.input({ type: 'command', command: { type: 'local', doc: key, payload } })
    this.#runtime.input({
      type: 'command',
      command: { type: 'open', doc: key, state: doc, ...(loaded === undefined ? {} : { loadedVv: loaded.loadedVv, loadedLog: loaded.loadedLog }) },
    })
    const { pubsub } = this.#components
    pubsub.addValidator(topic, (m) => this.#validate(topic, m.origin, m.payload))
    pubsub.join(topic)
    return replica as unknown as Replica<DocFor<T>>
  }

  /** The open replica of `docId`, if it is open. */
  replica(docId: string): Replica<DocState> | undefined {
    return this.#docs.get(TopicId.fromName(`crdt/${docId}`).toHex())?.replica
  }

  /** Every open replica, in the order they were opened. */
  replicas(): Array<Replica<DocState>> {
    return [...this.#docs.values()].map((o) => o.replica)
  }

  /** Runs one anti-entropy round for `docId` now (a fresh join, tests). */
  syncNow(docId: string): void {
    this.#runtime.input({ type: 'command', command: { type: 'sync-now', doc: TopicId.fromName(`crdt/${docId}`).toHex() } })
  }

  /** The sync core's counters for one open document (applied, parked, dropped, rounds, snapshots). */
  docMetrics(docId: string): DocSyncMetrics | undefined {
    return this.#core.doc(TopicId.fromName(`crdt/${docId}`).toHex())?.metrics()
  }

  metrics(): CrdtSyncMetrics {
    return { open: this.#docs.size, drops: { ...this.#drops } }
  }

  #newDoc(type: DocType): DocState {
    const self = this.#components.peerId.toHex()
    const wall = this.#components.wallClock ?? Date.now
    switch (type) {
      case 'set': return new SetDoc(self)
      case 'map': return new MapDoc(self, wall)
      case 'register': return new RegisterDoc(self, wall)
      case 'counter': return new CounterDoc(self)
      case 'text': return new TextDoc()
      default: throw new DocTypeError(`unknown document type ${String(type)}`)
    }
  }

  async #close(key: string): Promise<void> {
    const open = this.#docs.get(key)
    if (open === undefined) return
    this.#docs.delete(key)
    this.#runtime.input({ type: 'command', command: { type: 'close', doc: key } })
    const topic = open.replica.topic
    this.#components.pubsub.removeValidator(topic)
    this.#components.pubsub.leave(topic)
    await open.durable.catch(() => {})
    await open.log?.close()
  }

  #validate(topic: TopicId, origin: PeerId, payload: Uint8Array): Verdict | Promise<Verdict> {
    const open = this.#docs.get(topic.toHex())
    if (open === undefined) return 'ignore'
    if (open.cipher !== undefined) {
      return this.#unseal(open, payload, 'topic').then((frame) => (frame === 'sealed' ? 'ignore' : this.#verdict(topic, origin, frame)))
    }
    let frame
    try {
      frame = decodeWireFrame(payload, 'topic')
    } catch (err) {
      if (err instanceof DecodeError) return 'reject'
      throw err
    }
    if (!('sealed' in frame)) return this.#verdict(topic, origin, frame)
    this.#drops.sealed++
    return 'ignore'
  }

  /** A topic message must be a delta of this document carrying only its signer's changes. */
  #verdict(topic: TopicId, origin: PeerId, frame: SyncFrame | undefined): 'accept' | 'reject' {
    const verdict = frame === undefined ? 'reject' : topicDeltaVerdict(topic, origin, frame)
    if (verdict !== 'wrong-origin') return verdict
    this.#drops['wrong-origin']++
    return 'reject'
  }

  /**
   * The plain frame of `bytes` for `open`'s document: undefined when it does not decode (or is plain
   * for a group-bound document), 'sealed' when it is sealed and this replica cannot open it.
   */
  async #unseal(open: OpenDoc, bytes: Uint8Array, channel: SyncChannel): Promise<SyncFrame | 'sealed' | undefined> {
    try {
      const frame = decodeWireFrame(bytes, channel)
      if (!('sealed' in frame)) {
        if (open.cipher === undefined) return frame
        this.#drops['not-sealed']++
        return undefined
      }
      const plain = await open.cipher?.open(frame)
      if (plain === undefined) {
        this.#drops.sealed++
        return 'sealed'
      }
      const inner = decodeSyncFrame(plain, channel)
      return inner.doc.equals(frame.doc) ? inner : undefined
    } catch (err) {
      if (err instanceof DecodeError) return undefined
      throw err
    }
  }

  readonly #onMessage = (event: Event): void => {
    const d = (event as CustomEvent<{ topic: TopicId; from: PeerId; payload: Uint8Array }>).detail
    if (!this.#docs.has(d.topic.toHex())) return
    this.#receive(d.payload, 'topic', d.from)
  }

  readonly #onTopicPeer = (event: Event): void => {
    const d = (event as CustomEvent<{ topic: TopicId; peer: PeerId }>).detail
    const key = d.topic.toHex()
    if (!this.#docs.has(key)) return
    const type = event.type === 'topic:peer-up' ? 'neighbour-up' : 'neighbour-down'
    this.#runtime.input({ type: 'command', command: { type, doc: key, peer: d.peer } })
  }

  #receive(bytes: Uint8Array, channel: SyncChannel, from: PeerId): void {
    let frame
    try {
      frame = decodeWireFrame(bytes, channel)
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err
      this.#drops.decode++
      return
    }
    const doc = frame.doc.toHex()
    const open = this.#docs.get(doc)
    if (open === undefined) {
      this.#drops['unknown-doc']++
      return
    }
    if (open.cipher === undefined) {
      // Plain documents stay synchronous: deliveries reach the core in arrival order.
      if ('sealed' in frame) this.#drops.sealed++
      else this.#deliver(doc, from, frame)
      return
    }
    this.#unseal(open, bytes, channel).then((plain) => {
      if (plain === 'sealed') return
      if (plain === undefined) this.#drops.decode++
      else if (this.#docs.get(doc) === open) this.#deliver(doc, from, plain)
    }, () => { this.#drops.decode++ })
  }

  #deliver(doc: string, from: PeerId, frame: SyncFrame): void {
    this.#runtime.input({ type: 'recv', from, msg: { doc, msg: frame.msg } })
  }

  /** The wire bytes of `frame`: sealed when its document is bound to a group. */
  async #wire(open: OpenDoc | undefined, frame: SyncFrame): Promise<Uint8Array> {
    const plain = encodeSyncFrame(frame)
    return open?.cipher === undefined ? plain : encodeSealedFrame(await open.cipher.seal(plain))
  }

  #send(to: PeerId, { doc, msg }: DocMessage): void {
    const connection = this.#components.transport.connectionTo(to)
    if (connection === undefined) {
      this.#drops['no-connection']++
      return
    }
    const wire = this.#wire(this.#docs.get(doc), { doc: TopicId.fromHex(doc), msg })
    const failed = () => { this.#drops['send-failed']++ }
    if (channelOf(msg) === 'bulk') {
      wire.then(async (bytes) => {
        const w = await connection.openStream(CRDT_SNAPSHOT_PROTOCOL)
        await w.write(bytes)
        await w.close()
      }).catch(failed)
    } else {
      wire.then((bytes) => connection.send(CRDT_SYNC_PROTOCOL, bytes)).catch(failed)
    }
  }

  #emit(event: DocsEvent): void {
    if (event.type === 'unknown-doc') {
      this.#drops['unknown-doc']++
      return
    }
    const open = this.#docs.get(event.doc)
    if (open === undefined) return
    if (event.type === 'publish') {
      const data = this.#wire(open, { doc: open.replica.topic, msg: event.msg })
      // Never publish a local delta before it is durable: a restart must not reuse its number.
      Promise.all([data, open.durable]).then(([bytes]) => this.#components.pubsub.publish(open.replica.topic, bytes)).catch(() => { this.#drops['send-failed']++ })
      return
    }
    const e = event.event
    if (e.type === 'applied') {
      this.#persist(open, event.doc, () => open.log!.append({ type: 'bundle', bundle: e.bundle }))
      open.replica.notify({ local: e.local, cover: e.bundle.cover })
    } else if (e.type === 'snapshot-applied') {
      this.#persist(open, event.doc, undefined)
      open.replica.notify({ local: false, cover: e.vv.map(([o, n]) => [o, 0, n] as const) })
    }
  }

  /** Chains a store write (or, when undefined or the file has grown, a compaction) onto `durable`. */
  #persist(open: OpenDoc, key: string, append: (() => Promise<void>) | undefined): void {
    const log = open.log
    if (log === undefined) return
    const compact = append === undefined || log.size > Math.max(1024 * 1024, 2 * open.lastSnapshotBytes)
    let write: Promise<void>
    if (compact) {
      const core = this.#core.doc(key)
      const state = open.replica.doc.snapshot()
      open.lastSnapshotBytes = state.length
      // Queued before the compaction, the append is covered by it (LogFile.compact) and the
      // snapshot, taken now, includes it.
      const appended = append?.()
      const compacted = log.compact([{ type: 'snapshot', vv: core?.versionVector() ?? [], state }])
      write = Promise.all([appended, compacted]).then(() => {})
    } else {
      write = append()
    }
    const counted = write.catch(() => { this.#drops['store-failed']++ })
    open.durable = Promise.all([open.durable, counted]).then(() => {})
    open.replica.track(open.durable)
  }
}
