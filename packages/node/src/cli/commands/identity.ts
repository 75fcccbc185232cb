/**
 * `saorsa-gossip identity create|list|show|delete`: ML-DSA-65 identities in the encrypted keystore
 * under `<home>/keystore` (format: SPEC.md section 4). Listing and showing read only public headers,
 * so they need no passphrase; creating asks for one (file, env or hidden prompt).
 */
import { createKeystore, type KeyInfo } from '@saorsa-gossip/identity'
import type { CommandSpec } from '../args.ts'
import type { CliContext } from '../context.ts'
import { ensureHome } from '../../config/paths.ts'
import { EXIT } from '../exit-codes.ts'
import { readPassphrase } from '../passphrase.ts'
import { IdentityNotFoundError } from '../../errors.ts'

export const DEFAULT_ALIAS = 'default'

const passphraseOption = {
  'passphrase-file': { type: 'string' as const, description: 'read the keystore passphrase from this file', valueName: 'path' },
}

export function keystoreFor(ctx: CliContext, passphrase?: string) {
  return createKeystore({ directory: ctx.layout.keystoreDir, env: ctx.io.env, ...(passphrase === undefined ? {} : { passphrase }) })
}

/** Runs `fn`, turning the keystore's "alias not found" into the CLI's not-found error. */
export async function withAlias<T>(alias: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if ((err as Error).name === 'AliasNotFoundError') throw new IdentityNotFoundError(`identity not found: ${alias}`)
    throw err
  }
}

function infoJson(info: KeyInfo) {
  return { alias: info.alias, peerId: info.peerId.toHex(), algorithm: info.algorithm, createdAtMs: info.createdAtMs, path: info.path }
}

export const identityCommands: CommandSpec<CliContext>[] = [
  {
    path: ['identity', 'create'],
    summary: 'Generate an ML-DSA-65 identity and store it encrypted',
    positionals: ['alias?'],
    options: {
      ...passphraseOption,
      force: { type: 'boolean', description: 'replace an existing identity with this alias' },
    },
    details: `The alias defaults to '${DEFAULT_ALIAS}'. The passphrase comes from --passphrase-file, env SAORSA_GOSSIP_PASSPHRASE, or a prompt.`,
    async run(ctx, { positionals, values }) {
      const alias = positionals[0] ?? DEFAULT_ALIAS
      await ensureHome(ctx.layout)
      const passphrase = await readPassphrase(ctx.io, values['passphrase-file'] as string | undefined, `Passphrase for '${alias}': `)
      const { info } = await keystoreFor(ctx, passphrase).create(alias, { force: values.force === true, signal: ctx.io.interrupt })
      ctx.out.result(`Created identity: ${alias}\n  PeerId:   ${info.peerId.toHex()}\n  Saved to: ${info.path}`, infoJson(info))
      return EXIT.ok
    },
  },
  {
    path: ['identity', 'list'],
    summary: 'List the stored identities',
    async run(ctx) {
      const entries = await keystoreFor(ctx).list({ signal: ctx.io.interrupt })
      const human = entries.length === 0
        ? 'No identities found'
        : ['Identities:', ...entries.map((e) => (e.ok ? `  ${e.alias.padEnd(20)} ${e.info.peerId.toHex()}` : `  ${e.alias.padEnd(20)} unreadable: ${e.error.message}`))].join('\n')
      ctx.out.result(human, entries.map((e) => (e.ok ? infoJson(e.info) : { alias: e.alias, error: e.error.message })))
      return EXIT.ok
    },
  },
  {
    path: ['identity', 'show'],
    summary: 'Show one identity (no passphrase needed)',
    positionals: ['alias'],
    async run(ctx, { positionals }) {
      const alias = positionals[0]!
      const info = await withAlias(alias, () => keystoreFor(ctx).show(alias, { signal: ctx.io.interrupt }))
      ctx.out.result([
        `Identity:  ${info.alias}`,
        `PeerId:    ${info.peerId.toHex()}`,
        `Algorithm: ${info.algorithm}`,
        `Created:   ${new Date(info.createdAtMs).toISOString()}`,
        `File:      ${info.path}`,
      ].join('\n'), infoJson(info))
      return EXIT.ok
    },
  },
  {
    path: ['identity', 'delete'],
    summary: 'Delete one identity from the keystore',
    positionals: ['alias'],
    async run(ctx, { positionals }) {
      const alias = positionals[0]!
      await withAlias(alias, () => keystoreFor(ctx).delete(alias, { signal: ctx.io.interrupt }))
      ctx.out.result(`Deleted identity: ${alias}`, { alias, deleted: true })
      return EXIT.ok
    },
  },
]
