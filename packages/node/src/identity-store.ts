/**
 * Loads the node's identity from the encrypted keystore in its home directory (`<home>/keystore`,
 * format: SPEC.md section 4), optionally creating it on first use, so applications and the CLI get a
 * stable PeerId across restarts.
 */
import { createKeystore, type Identity } from '@saorsa-gossip/identity'
import { homeLayout, ensureHome } from './config/paths.ts'
import { IdentityNotFoundError } from './errors.ts'

export interface LoadIdentityOptions {
  /** Home directory (SPEC.md section 8). */
  home: string
  /** Keystore alias; default 'default'. */
  alias?: string
  /** Keystore directory instead of `<home>/keystore` (an identity kept apart from the home, e.g. `--identity-path`). */
  keystoreDir?: string
  passphrase: string
  /** Generate and store the identity if the alias does not exist (default false). */
  create?: boolean
  signal?: AbortSignal
}

/** Resolves with the stored identity; `created` says whether it was generated just now. */
export async function loadIdentity(options: LoadIdentityOptions): Promise<{ identity: Identity; created: boolean }> {
  const layout = homeLayout(options.home)
  await ensureHome(layout)
  const alias = options.alias ?? 'default'
  const keystore = createKeystore({ directory: options.keystoreDir ?? layout.keystoreDir, passphrase: options.passphrase })
  const signalOption = options.signal === undefined ? {} : { signal: options.signal }
  try {
    return { identity: await keystore.loadIdentity(alias, signalOption), created: false }
  } catch (err) {
    if ((err as Error).name !== 'AliasNotFoundError') throw err
    if (options.create !== true) throw new IdentityNotFoundError(`identity not found: ${alias}`)
    const { key } = await keystore.create(alias, signalOption)
    return { identity: key as Identity, created: true }
  }
}
