/**
 * Control-socket methods contributed by a layer (SPEC.md section 8.1.1): each layer's CLI commands talk
 * to the running node through methods named `<layer>.<verb>` (for example `groups.create`), declared
 * in a file of this directory, so adding a layer never edits the core protocol or server.
 */
import type { SaorsaNode } from '../../node.ts'

/** Parameters after validation; each method checks its own with `params.ts`. */
export type MethodParams = Readonly<Record<string, unknown>>

export interface ControlMethodSpec {
  /**
   * Validates the raw `params` object (exact keys, types, sizes) and returns what `run`/`stream`
   * receive. Throws `BadRequestError` (naming the parameter) on anything else.
   */
  parse(params: Readonly<Record<string, unknown>>, id: number): MethodParams
  /** A one-shot method: the result must be JSON-serialisable. */
  run?(params: MethodParams, signal: AbortSignal): Promise<unknown> | unknown
  /** A streaming method: one reply, then one `event` line per yielded value until either side closes. */
  stream?(params: MethodParams, signal: AbortSignal): AsyncIterable<unknown>
  /** The event name of streamed lines (default `event`). */
  readonly event?: string
}

/** Methods by full name (`<layer>.<verb>`). */
export type ControlMethods = ReadonlyMap<string, ControlMethodSpec>

/** What a layer's method file exports: builds its methods for a running node. */
export type ControlMethodsFactory = (node: SaorsaNode) => Record<string, ControlMethodSpec>

/** Method names: a layer prefix and a verb, lower-case words joined by `-`. */
export const EXTENSION_METHOD_NAME = /^[a-z][a-z0-9-]{0,31}\.[a-z][a-z0-9-]{0,31}$/
