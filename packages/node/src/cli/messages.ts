/**
 * Errors from the libraries restated in the CLI's words: the libraries speak to programmers
 * (`force: true`, `passphrase`), the CLI to someone at a shell (`--force`, SAORSA_GOSSIP_PASSPHRASE).
 * Every command inherits this through `main`, so a layer's CLI command needs no wording of its own.
 */
import { readFileSync } from 'node:fs'
import { PASSPHRASE_ENV } from './passphrase.ts'

interface Described {
  message: string
  /** Overrides the exit code chosen by error name. */
  usage?: boolean
}

/** The package version, read from package.json (two levels above both src/cli and dist/cli). */
export function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

/** The message (and whether it is a usage mistake) to print for an error a command threw. */
export function describeError(err: unknown): Described {
  const e = err as Error & { code?: string; alias?: string; address?: string; port?: number; syscall?: string }
  const message = typeof e?.message === 'string' ? e.message : String(err)
  switch (e?.name) {
    case 'AliasExistsError':
      return { message: `identity '${e.alias ?? '?'}' already exists; pass --force to replace it (the old key is lost unless exported)` }
    case 'PassphraseRequiredError':
      return { message: `no passphrase: use --passphrase-file, set ${PASSPHRASE_ENV}, or run on a terminal`, usage: true }
    case 'InvalidAddressError':
      return { message: message.replace(/^address "([^"]*)"/, "address '$1'"), usage: true }
  }
  if (e?.code === 'EADDRINUSE') {
    const where = e.address === undefined ? '' : ` ${e.address}${e.port === undefined ? '' : `:${e.port}`}`
    return { message: `cannot listen on${where}: the address is already in use by another process; choose another --bind port` }
  }
  if (e?.code === 'EADDRNOTAVAIL') {
    const where = e.address === undefined ? '' : ` ${e.address}`
    return { message: `cannot listen on${where}: no network interface of this machine has that address; check --bind` }
  }
  if (e?.code === 'EACCES' && e.syscall === 'listen') {
    return { message: `cannot listen on port ${e.port ?? '?'}: permission denied (ports below 1024 need privileges)` }
  }
  return { message }
}
