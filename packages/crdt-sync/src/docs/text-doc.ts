/**
 * Collaborative text backed by Yjs (YATA: Nicolaescu, Jahns, Derntl, Klamma, GROUP 2016), chosen by
 * measurement on the B4 trace (README "Why Yjs"). The Y.Doc is exposed, so editor bindings
 * (y-prosemirror, y-codemirror, y-monaco) attach directly; every local transaction's update is one
 * delta, remote bundles are applied with a private origin so they are never echoed back.
 */
import * as Y from 'yjs'
import { DocState, guarded } from './doc-state.ts'

/** Transaction origin of updates that came from the network. */
const REMOTE = Symbol('crdt-sync remote')

export class TextDoc extends DocState {
  readonly type = 'text'
  /** The Yjs document; bind editors to `ydoc.getText(TextDoc.FIELD)`. */
  readonly ydoc: Y.Doc
  readonly text: Y.Text
  static readonly FIELD = 'text'

  constructor() {
    super()
    this.ydoc = new Y.Doc()
    this.text = this.ydoc.getText(TextDoc.FIELD)
    this.ydoc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin !== REMOTE) this.local(update)
    })
  }

  override toString(): string { return this.text.toString() }

  insert(index: number, content: string): void { this.text.insert(index, content) }
  delete(index: number, length: number): void { this.text.delete(index, length) }

  apply(payload: Uint8Array): boolean {
    const ok = guarded(() => Y.applyUpdate(this.ydoc, payload, REMOTE))
    if (ok) this.onChange(false)
    return ok
  }

  merge(payloads: readonly Uint8Array[]): Uint8Array {
    return payloads.length === 1 ? payloads[0]! : Y.mergeUpdates(payloads as Uint8Array[])
  }

  snapshot(): Uint8Array { return Y.encodeStateAsUpdate(this.ydoc) }
}
