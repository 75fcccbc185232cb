/**
 * The base of every document type: a `SyncedState` for the sync core plus the hooks a replica needs.
 * A local mutation produces a delta payload that goes to `onLocal` (the core publishes it at once);
 * every change, local or remote, fires `onChange`. Remote payloads that fail to decode leave the
 * state untouched and report false, which the core counts as a drop.
 */
import type { SyncedState } from '../proto/messages.ts'

export type DocType = 'set' | 'map' | 'register' | 'counter' | 'text'

export abstract class DocState implements SyncedState {
  abstract readonly type: DocType
  /** Receives each local delta payload; wired by the replica to the sync core. */
  onLocal: (payload: Uint8Array) => void = () => {}
  /** Fired after every change; `local` tells which side made it. */
  onChange: (local: boolean) => void = () => {}

  abstract apply(payload: Uint8Array): boolean
  abstract merge(payloads: readonly Uint8Array[]): Uint8Array
  abstract snapshot(): Uint8Array

  protected local(payload: Uint8Array): void {
    this.onLocal(payload)
    this.onChange(true)
  }
}

/** Runs `decodeAndMerge`, turning any decode failure into `false`. */
export function guarded(decodeAndMerge: () => void): boolean {
  try {
    decodeAndMerge()
    return true
  } catch {
    return false
  }
}
