/**
 * Message kind labels for `kindOf` ('p:publish', 'm:swim:ping'), one shared string per label. A label
 * built with a template per message is a fresh string that the stats map and the trace digest have
 * to hash and walk each time; the same string from this cache has its hash computed once.
 */
const labels = new Map<string, Map<string, string>>()

/** `${prefix}:${name}`, the same string object on every call with the same parts. */
export function kindLabel(prefix: string, name: string): string {
  let byName = labels.get(prefix)
  if (byName === undefined) labels.set(prefix, (byName = new Map()))
  let label = byName.get(name)
  if (label === undefined) byName.set(name, (label = `${prefix}:${name}`))
  return label
}
