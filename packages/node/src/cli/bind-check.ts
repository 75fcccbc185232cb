/**
 * Checks before `network join` creates or unlocks anything: every address on the command line or in
 * config.json parses, and every fixed TCP port to listen on is free right now. A daemon that fails
 * here leaves no new identity and no half-started node behind.
 */
import { createServer } from 'node:net'
import { addressScheme, parseHostPort } from '@saorsa-gossip/transport'

/** Throws `InvalidAddressError` (a usage error in the CLI) for the first malformed address. */
export function checkAddresses(addrs: readonly string[]): void {
  for (const addr of addrs) {
    if (addressScheme(addr) === 'tcp') parseHostPort(addr, 'tcp')
  }
}

/** Binds and releases each fixed-port TCP listen address; rejects with the system error (EADDRINUSE, ...). */
export async function checkCanBind(listen: readonly string[]): Promise<void> {
  for (const addr of listen) {
    if (addressScheme(addr) !== 'tcp') continue
    const { host, port } = parseHostPort(addr, 'tcp')
    if (port === 0) continue
    await new Promise<void>((resolve, reject) => {
      const server = createServer()
      server.once('error', reject)
      server.listen({ host, port, exclusive: true }, () => server.close(() => resolve()))
    })
  }
}
