/**
 * Module customization hooks (Node.js "Modules: Customization hooks", `module.register`) that serve the
 * in-memory patched sources of @fails-components/webtransport in place of its files on disk. Used on
 * Node versions without the in-thread `module.registerHooks`, where hooks run in their own thread and
 * receive the sources through `initialize`. See library-patch.ts, which prepares and verifies them.
 */
import type { InitializeHook, LoadHook } from 'node:module'

/** File URL -> patched source, each checked against its SHA-256 before it was handed over. */
let patched = new Map<string, string>()

export const initialize: InitializeHook<{ sources: Array<[string, string]> }> = (data) => {
  patched = new Map(data.sources)
}

export const load: LoadHook = async (url, context, nextLoad) => {
  const result = await nextLoad(url, context)
  const source = patched.get(url)
  return source === undefined ? result : { ...result, source }
}
