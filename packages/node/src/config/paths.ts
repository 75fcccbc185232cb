/**
 * The node's home directory and the files in it (SPEC.md section 8). Resolution order: an explicit
 * option, then env SAORSA_GOSSIP_HOME, then `~/.saorsa-gossip` (the reference CLI's default).
 * The directory is private (mode 0700) because it holds keys, the peer cache and the control socket.
 */
import { chmod, mkdir } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

export const HOME_ENV = 'SAORSA_GOSSIP_HOME'
export const DEFAULT_HOME_NAME = '.saorsa-gossip'

export interface HomeLayout {
  readonly home: string
  /** Encrypted identity files, one per alias (format: SPEC.md section 4). */
  readonly keystoreDir: string
  /** Recently good peers (CBOR, SPEC.md section 8). */
  readonly peerCacheFile: string
  /** The node configuration (JSON, SPEC.md section 8). */
  readonly configFile: string
  /** Unix domain socket of the running node's control interface. */
  readonly controlSocket: string
  /** A serving node's rendezvous store (CBOR, SPEC.md section 11.4). */
  readonly rendezvousStoreFile: string
  /** The high-water mark of this node's publish sequence numbers (CBOR, SPEC.md section 7.2). */
  readonly publishSequenceFile: string
  /** MLS group state, one sealed file per group plus waiting key packages (SPEC.md section 10.7). */
  readonly groupsDir: string
  /** Local names of groups for the CLI (JSON: name -> group id hex); never sent to anyone. */
  readonly groupNamesFile: string
  /** Verified coordinator adverts and our dial history (CBOR, SPEC.md section 9.3). */
  readonly coordinatorCacheFile: string
  /** Replica logs of crdt-sync documents and the list of documents to reopen (SPEC.md section 12.5). */
  readonly crdtDir: string
}

/** Resolves the home directory without touching the filesystem. */
export function resolveHome(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit !== undefined && explicit !== '') return resolve(explicit)
  const fromEnv = env[HOME_ENV]
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv)
  return join(homedir(), DEFAULT_HOME_NAME)
}

export function homeLayout(home: string): HomeLayout {
  return {
    home,
    keystoreDir: join(home, 'keystore'),
    peerCacheFile: join(home, 'peers.cbor'),
    configFile: join(home, 'config.json'),
    controlSocket: join(home, 'control.sock'),
    rendezvousStoreFile: join(home, 'rendezvous.cbor'),
    publishSequenceFile: join(home, 'sequence.cbor'),
    groupsDir: join(home, 'groups'),
    groupNamesFile: join(home, 'group-names.json'),
    coordinatorCacheFile: join(home, 'coordinators.cbor'),
    crdtDir: join(home, 'crdt'),
  }
}

/** Creates the home and keystore directories (mode 0700) if needed. */
export async function ensureHome(layout: HomeLayout): Promise<void> {
  await mkdir(layout.home, { recursive: true, mode: 0o700 })
  await chmod(layout.home, 0o700)
  await mkdir(layout.keystoreDir, { recursive: true, mode: 0o700 })
}
