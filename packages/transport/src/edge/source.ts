/**
 * The "source" an inbound pipe is charged to: its IPv4 address, or the /64 of its IPv6 address (one
 * subscriber gets a whole /64, RFC 6177), so per-source limits cannot be dodged by walking a prefix.
 * Addresses without an IP (in-memory pipes) are their own source. A relayed pipe is charged to the
 * pair (relay, source peer) its address names: every circuit through one relay shares the relay's IP,
 * and the relay already caps circuits per peer (SPEC.md section 5.10.2).
 */

export function sourceOf(remoteAddr: string): string {
  const circuit = /^circuit:\/\/([0-9a-f]{64}\/[0-9a-f]{64})\//.exec(remoteAddr)
  if (circuit !== null) return `circuit:${circuit[1]}`
  const match = /^[a-z][a-z0-9+.-]*:\/\/(\[[^\]]+\]|[^:/?#]+)(?::\d+)?/i.exec(remoteAddr)
  if (match === null) return remoteAddr
  let host = match[1]!.toLowerCase()
  if (host.startsWith('[')) host = host.slice(1, -1)
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host)
  if (mapped !== null) return mapped[1]!
  if (!host.includes(':')) return host
  return `${ipv6Prefix64(host)}::/64`
}

function ipv6Prefix64(host: string): string {
  const [head = '', tail] = host.split('::')
  const left = head === '' ? [] : head.split(':')
  const right = tail === undefined || tail === '' ? [] : tail.split(':')
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
  return groups.slice(0, 4).map((g) => (g === '' ? '0' : g.replace(/^0+(?=.)/, ''))).join(':')
}
