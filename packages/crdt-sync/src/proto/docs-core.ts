/**
 * All open documents of one node as one sans-IO core, for the shared driver runtime and the
 * simulator: each document keeps its own `DocSyncCore`, messages and timers carry the document id
 * (TopicId hex), and a `publish` becomes an event the driver hands to pubsub. Neighbours are per
 * document: the peers that joined the document's topic.
 */
import type { CoreInput, CoreOutput, Outbox, PeerId, Rng } from '@saorsa-gossip/types'
import type { SyncConfig } from './config.ts'
import type { Bundle, DeltaMessage, SyncCommand, SyncEvent, SyncMessage, SyncOutput, SyncTimer, SyncedState, VvEntry } from './messages.ts'
import { DocSyncCore } from './sync.ts'

export interface DocMessage { readonly doc: string; readonly msg: SyncMessage }
export interface DocTimer { readonly doc: string; readonly timer: SyncTimer }

export type DocsCommand =
  | { readonly type: 'open'; readonly doc: string; readonly state: SyncedState; readonly loadedVv?: readonly VvEntry[]; readonly loadedLog?: readonly Bundle[] }
  | { readonly type: 'close'; readonly doc: string }
  | { readonly type: 'local'; readonly doc: string; readonly payload: Uint8Array }
  | { readonly type: 'sync-now'; readonly doc: string }
  | { readonly type: 'neighbour-up'; readonly doc: string; readonly peer: PeerId }
  | { readonly type: 'neighbour-down'; readonly doc: string; readonly peer: PeerId }

export type DocsEvent =
  | { readonly type: 'sync'; readonly doc: string; readonly event: SyncEvent }
  | { readonly type: 'publish'; readonly doc: string; readonly msg: DeltaMessage }
  | { readonly type: 'unknown-doc'; readonly doc: string }

export type DocsInput = CoreInput<DocMessage, DocTimer, DocsCommand>
export type DocsOutput = CoreOutput<DocMessage, DocTimer, DocsEvent>

export class DocsCore {
  readonly self: string
  readonly #config: SyncConfig
  readonly #rng: Rng
  readonly #docs = new Map<string, DocSyncCore>()

  constructor(init: { readonly self: string; readonly config: SyncConfig; readonly rng: Rng }) {
    this.self = init.self
    this.#config = init.config
    this.#rng = init.rng
  }

  doc(doc: string): DocSyncCore | undefined {
    return this.#docs.get(doc)
  }

  get size(): number {
    return this.#docs.size
  }

  handle(input: DocsInput, nowMs: number, out: Outbox<DocsOutput>): void {
    switch (input.type) {
      case 'recv': return this.#to(input.msg.doc, { type: 'recv', from: input.from, msg: input.msg.msg }, nowMs, out)
      case 'timer': return this.#to(input.timer.doc, { type: 'timer', timer: input.timer.timer }, nowMs, out)
      // Document neighbours come from topic membership, not from the overlay's neighbour set.
      case 'peer-up': case 'peer-down': return
      case 'command': return this.#command(input.command, nowMs, out)
    }
  }

  #command(c: DocsCommand, nowMs: number, out: Outbox<DocsOutput>): void {
    switch (c.type) {
      case 'open': {
        if (this.#docs.has(c.doc)) return
        const core = new DocSyncCore({
          self: this.self, state: c.state, config: this.#config, rng: this.#rng,
          ...(c.loadedVv === undefined ? {} : { loadedVv: c.loadedVv }),
          ...(c.loadedLog === undefined ? {} : { loadedLog: c.loadedLog }),
        })
        this.#docs.set(c.doc, core)
        return this.#to(c.doc, { type: 'command', command: { type: 'start' } }, nowMs, out)
      }
      // The core's timers still fire once after a close; `#to` drops them as unknown.
      case 'close': this.#docs.delete(c.doc); return
      case 'local': return this.#to(c.doc, { type: 'command', command: { type: 'local', payload: c.payload } }, nowMs, out)
      case 'sync-now': return this.#to(c.doc, { type: 'command', command: { type: 'sync-now' } }, nowMs, out)
      case 'neighbour-up': return this.#to(c.doc, { type: 'peer-up', peer: c.peer }, nowMs, out)
      case 'neighbour-down': return this.#to(c.doc, { type: 'peer-down', peer: c.peer }, nowMs, out)
    }
  }

  #to(doc: string, input: CoreInput<SyncMessage, SyncTimer, SyncCommand>, nowMs: number, out: Outbox<DocsOutput>): void {
    const core = this.#docs.get(doc)
    if (core === undefined) {
      if (input.type === 'recv') out.push({ type: 'emit', event: { type: 'unknown-doc', doc } })
      return
    }
    const inner: SyncOutput[] = []
    core.handle(input, nowMs, inner)
    for (const o of inner) {
      switch (o.type) {
        case 'send': out.push({ type: 'send', to: o.to, msg: { doc, msg: o.msg } }); break
        case 'schedule': out.push({ type: 'schedule', delayMs: o.delayMs, timer: { doc, timer: o.timer } }); break
        case 'emit': out.push({ type: 'emit', event: { type: 'sync', doc, event: o.event } }); break
        case 'publish': out.push({ type: 'emit', event: { type: 'publish', doc, msg: o.msg } }); break
        case 'disconnect': out.push(o); break
      }
    }
  }
}
