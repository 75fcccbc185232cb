/**
 * Collaborative text backed by Yjs (YATA: Nicolaescu, Jahns, Derntl, Klamma, GROUP 2016), chosen by
 * measurement on the B4 trace (README "Why Yjs"). The Y.Doc is exposed, so editor bindings
 * (y-prosemirror, y-codemirror, y-monaco) attach directly; every local transaction's update is one
 * delta, remote bundles are applied with a private origin so they are never echoed back.
 * Payloads start with a format byte: 1 = Yjs update v1 (per-edit deltas: the cheapest to capture),
 * 2 = Yjs update v2 (merged groups and snapshots: 10x smaller than v1 for runs of typing on B4).
 */
import * as Y from 'yjs'
import { DocState, guarded } from './doc-state.ts'

/** Transaction origin of updates that came from the network. */
const REMOTE = Symbol('crdt-sync remote')
export const YJS_V1 = 1
export const YJS_V2 = 2

function tagged(format: number, update: Uint8Array): Uint8Array {
  const out = new Uint8Array(update.length + 1)
  out[0] = format
  out.set(update, 1)
  return out
}

function asV2(payload: Uint8Array): Uint8Array {
  const body = payload.subarray(1)
  if (payload[0] === YJS_V2) return body
  if (payload[0] === YJS_V1) return Y.convertUpdateFormatV1ToV2(body)
  throw new RangeError(`unknown text payload format ${payload[0]}`)
}

export class TextDoc extends DocState {
  readonly type = 'text'
  /** The Yjs document; bind editors to `ydoc.getText(TextDoc.FIELD)`. */
  readonly ydoc: Y.Doc
  readonly text: Y.Text
  static readonly FIELD = 'text'

  /**
   * `clientId` fixes the Yjs client id (random by default, as Yjs requires for a fresh session); it
   * decides the order of concurrent inserts at one position, so tests replaying a recorded history set it.
   */
  constructor(options: { clientId?: number } = {}) {
    super()
    this.ydoc = new Y.Doc()
    if (options.clientId !== undefined) this.ydoc.clientID = options.clientId
    this.text = this.ydoc.getText(TextDoc.FIELD)
    this.ydoc.on('update', this.#onUpdate)
  }

  readonly #onUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin !== REMOTE) this.local(tagged(YJS_V1, update))
  }

  override toString(): string { return this.text.toString() }

  insert(index: number, content: string): void { this.text.insert(index, content) }
  delete(index: number, length: number): void { this.text.delete(index, length) }

  apply(payload: Uint8Array): boolean {
    // Without an `update` listener Yjs does not encode the applied update back: a remote apply
    // would otherwise pay for an encoding nobody reads.
    this.ydoc.off('update', this.#onUpdate)
    const ok = guarded(() => {
      if (payload[0] === YJS_V1) Y.applyUpdate(this.ydoc, payload.subarray(1), REMOTE)
      else if (payload[0] === YJS_V2) Y.applyUpdateV2(this.ydoc, payload.subarray(1), REMOTE)
      else throw new RangeError('unknown text payload format')
    })
    this.ydoc.on('update', this.#onUpdate)
    if (ok) this.onChange(false)
    return ok
  }

  merge(payloads: readonly Uint8Array[]): Uint8Array {
    if (payloads.length === 1) return payloads[0]!
    return tagged(YJS_V2, Y.mergeUpdatesV2(payloads.map(asV2)))
  }

  snapshot(): Uint8Array { return tagged(YJS_V2, Y.encodeStateAsUpdateV2(this.ydoc)) }
}
