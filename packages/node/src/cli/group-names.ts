/**
 * Local names for groups (`<home>/group-names.json`, name -> group id hex), so CLI users type `team`
 * instead of 64 hex digits. Names never leave this machine: each member names a group as it likes.
 * The file is replaced atomically; an unreadable one is an error naming it, never silently emptied.
 */
import { readRegularFile, writeFileAtomic } from '@saorsa-gossip/types/fs'
import { UsageError } from './args.ts'

/** A name is a word, so it never looks like an option or a path, and is not pure hex, so it never shadows an id prefix. */
const NAME = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/
/** 4,096 names of at most 64 bytes with 128-digit ids: a cap far above use and far below harm. */
const MAX_NAMES = 4096
const MAX_FILE_BYTES = MAX_NAMES * 256

export class GroupNamesError extends Error {
  override readonly name = 'GroupNamesError'
}

export function checkGroupName(name: string): string {
  if (!NAME.test(name) || /^[0-9a-f]+$/.test(name)) {
    throw new UsageError(`group name '${name}' must start with a letter, use letters, digits, '.', '_' or '-' (at most 64), and not be all hex digits`)
  }
  return name
}

export async function readGroupNames(path: string): Promise<Map<string, string>> {
  const bytes = await readRegularFile(path, { maxBytes: MAX_FILE_BYTES })
  if (bytes === undefined) return new Map()
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'))
  } catch {
    throw new GroupNamesError(`${path}: not JSON; fix or remove it`)
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new GroupNamesError(`${path}: not a JSON object; fix or remove it`)
  const names = new Map<string, string>()
  for (const [name, id] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof id !== 'string' || !/^[0-9a-f]{2,128}$/.test(id) || !NAME.test(name)) throw new GroupNamesError(`${path}: entry '${name}' is not a name and a group id`)
    names.set(name, id)
  }
  return names
}

/** Names `groupId` (hex); the name moves if it named another group. */
export async function setGroupName(path: string, name: string, groupId: string): Promise<void> {
  const names = await readGroupNames(path)
  names.set(checkGroupName(name), groupId)
  if (names.size > MAX_NAMES) throw new UsageError(`at most ${MAX_NAMES} group names`)
  await writeFileAtomic(path, `${JSON.stringify(Object.fromEntries([...names].sort()), null, 2)}\n`)
}

/** A name, an id, or an id prefix: the id (prefix) hex the daemon resolves. */
export async function resolveGroupArg(path: string, arg: string): Promise<string> {
  const named = (await readGroupNames(path)).get(arg)
  if (named !== undefined) return named
  if (/^[0-9a-f]{8,128}$/.test(arg)) return arg
  throw new UsageError(`'${arg}' is neither a group name (see 'group list') nor at least 8 hex digits of a group id`)
}

/** Names by group id hex, for display. */
export async function namesById(path: string): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (const [name, id] of await readGroupNames(path)) if (!out.has(id)) out.set(id, name)
  return out
}
