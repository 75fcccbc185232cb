/**
 * `saorsa-gossip identity create|list|show|delete`: ML-DSA-65 identities in the encrypted keystore
 * under `<home>/keystore` (format: SPEC.md section 4). Listing and showing read only public headers,
 * so they need no passphrase; creating asks for one (file, env or hidden prompt, twice). Export and
 * import move the encrypted key file as it is: a backup never holds the key in plaintext.
 */
import { basename } from 'node:path'
import { open } from 'node:fs/promises'
import { createKeystore, readKeyFileHeader, assertAlias, type KeyInfo } from '@saorsa-gossip/identity'
import { LIMITS } from '@saorsa-gossip/types'
import { readRegularFile, writeFileAtomic } from '@saorsa-gossip/types/fs'
import { UsageError, type CommandSpec } from '../args.ts'
import type { CliContext } from '../context.ts'
import { ensureHome } from '../../config/paths.ts'
import { EXIT } from '../exit-codes.ts'
import { promptLine, readNewPassphrase } from '../passphrase.ts'
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
      const passphrase = await readNewPassphrase(ctx.io, values['passphrase-file'] as string | undefined, alias)
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
    summary: 'Delete one identity from the keystore (asks to type the alias, or --force)',
    positionals: ['alias'],
    options: { force: { type: 'boolean', description: 'delete without asking' } },
    details: "Deleting removes the only copy unless you exported it ('saorsa-gossip identity export <alias> <file>').",
    async run(ctx, { positionals, values }) {
      const alias = positionals[0]!
      const keystore = keystoreFor(ctx)
      await withAlias(alias, () => keystore.show(alias, { signal: ctx.io.interrupt }))
      if (values.force !== true) {
        if (ctx.io.stdin.isTTY !== true) {
          throw new UsageError(`refusing to delete identity '${alias}' without confirmation: pass --force (after 'saorsa-gossip identity export ${alias} <file>' if you need it again)`)
        }
        const typed = await promptLine(ctx.io, `This deletes the key of '${alias}' for good. Type the alias to confirm: `)
        if (typed.trim() !== alias) throw new UsageError(`confirmation did not match '${alias}'; nothing was deleted`)
      }
      await withAlias(alias, () => keystore.delete(alias, { signal: ctx.io.interrupt }))
      ctx.out.result(`Deleted identity: ${alias}`, { alias, deleted: true })
      return EXIT.ok
    },
  },
  {
    path: ['identity', 'export'],
    summary: 'Copy an identity\'s encrypted key file to a backup file',
    positionals: ['alias', 'file'],
    details: 'The file stays encrypted under the identity\'s passphrase; keep the passphrase to use the backup.',
    async run(ctx, { positionals }) {
      const [alias, file] = positionals as [string, string]
      const keystore = keystoreFor(ctx)
      const info = await withAlias(alias, () => keystore.show(alias, { signal: ctx.io.interrupt }))
      const bytes = await readRegularFile(info.path, { maxBytes: LIMITS.maxKeystoreFileBytes })
      if (bytes === undefined) throw new IdentityNotFoundError(`identity not found: ${alias}`)
      readKeyFileHeader(bytes)
      // 'wx': a backup never overwrites a file that already exists (perhaps another key's backup).
      let handle
      try {
        handle = await open(file, 'wx', 0o600)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`${file} already exists; choose another file name`)
        throw err
      }
      try {
        await handle.writeFile(bytes)
        await handle.sync()
      } finally {
        await handle.close()
      }
      ctx.out.result(`Exported identity '${alias}' (PeerId ${info.peerId.toHex()}) to ${file}, encrypted`, { ...infoJson(info), exportedTo: file })
      return EXIT.ok
    },
  },
  {
    path: ['identity', 'import'],
    summary: 'Add an exported key file to the keystore',
    positionals: ['file', 'alias?'],
    options: { force: { type: 'boolean', description: 'replace an existing identity with this alias' } },
    details: 'The alias defaults to the file name without .key. The file must be an intact keystore file; it is stored as it is.',
    async run(ctx, { positionals, values }) {
      const file = positionals[0]!
      const alias = positionals[1] ?? basename(file).replace(/\.key$/, '')
      try {
        assertAlias(alias)
      } catch (err) {
        throw new UsageError(`${(err as Error).message}; give the alias after the file name`)
      }
      const bytes = await readRegularFile(file, { maxBytes: LIMITS.maxKeystoreFileBytes })
      if (bytes === undefined) throw new UsageError(`${file} does not exist`)
      const header = readKeyFileHeader(bytes)
      await ensureHome(ctx.layout)
      const keystore = keystoreFor(ctx)
      const existing = await keystore.list({ signal: ctx.io.interrupt })
      if (values.force !== true && existing.some((e) => e.alias === alias)) {
        throw new UsageError(`identity '${alias}' already exists; pass --force to replace it, or give another alias`)
      }
      await writeFileAtomic(keystore.pathOf(alias), bytes, { mode: 0o600 })
      const info = await keystore.show(alias, { signal: ctx.io.interrupt })
      ctx.out.result(`Imported identity: ${alias}\n  PeerId:   ${header.peerId.toHex()}\n  Saved to: ${info.path}`, infoJson(info))
      return EXIT.ok
    },
  },
]
