/**
 * The node configuration file `config.json` (SPEC.md section 8): small, human-editable JSON with
 * a byte cap and strict validation (unknown keys rejected, every field bounded), written atomically.
 * Command-line flags override it; it supplies defaults for `network join`.
 */
import { DecodeError, LIMITS } from '@saorsa-gossip/types'
import { FileRefusedError, readRegularFile, removeStaleTempFiles, writeFileAtomic } from '@saorsa-gossip/types/fs'

export const MAX_CONFIG_FILE_BYTES = 64 * 1024
export const MAX_BOOTSTRAP_ADDRS = 64

export type PresetName = 'local' | 'lan' | 'wan'

export interface NodeConfigFile {
  /** Keystore alias of the identity the daemon runs as. */
  identity?: string
  /** Listen addresses, e.g. `tcp://0.0.0.0:7000`. */
  listen?: string[]
  /** Addresses peers should dial to reach this node (default: the bound listen addresses). */
  announce?: string[]
  /** Bootstrap peers used when the peer cache is empty. */
  bootstrap?: string[]
  /** Timing preset of membership and pubsub. */
  preset?: PresetName
  /** pino level of the daemon log. */
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  /** Where pubsub origin signatures are checked: on the event loop or on a pool of worker threads. */
  verifier?: 'inline' | 'pool'
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
const PRESETS = ['local', 'lan', 'wan'] as const
export const VERIFIERS = ['inline', 'pool'] as const
export const CONFIG_KEYS = ['identity', 'listen', 'announce', 'bootstrap', 'preset', 'logLevel', 'verifier'] as const

function addrList(value: unknown, field: string, max: number): string[] {
  if (!Array.isArray(value)) throw new DecodeError('expected an array of addresses', field)
  if (value.length > max) throw new DecodeError(`more than ${max} addresses`, field)
  return value.map((a, i) => {
    if (typeof a !== 'string' || a.length === 0 || a.length > LIMITS.maxAddressLength) {
      throw new DecodeError(`expected an address of 1..${LIMITS.maxAddressLength} characters`, `${field}[${i}]`)
    }
    return a
  })
}

/** Validates parsed JSON as a config file; throws `DecodeError` naming the field. */
export function parseNodeConfig(value: unknown): NodeConfigFile {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DecodeError('config must be a JSON object')
  const out: NodeConfigFile = {}
  for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
    switch (key) {
      case 'identity':
        if (typeof field !== 'string' || field.length === 0 || field.length > LIMITS.maxAliasLength) {
          throw new DecodeError(`expected an alias of 1..${LIMITS.maxAliasLength} characters`, key)
        }
        out.identity = field
        break
      case 'listen':
        out.listen = addrList(field, key, LIMITS.maxAddressesPerPeer)
        break
      case 'announce':
        out.announce = addrList(field, key, LIMITS.maxAddressesPerPeer)
        break
      case 'bootstrap':
        out.bootstrap = addrList(field, key, MAX_BOOTSTRAP_ADDRS)
        break
      case 'preset':
        if (!PRESETS.includes(field as PresetName)) throw new DecodeError(`expected one of ${PRESETS.join(', ')}`, key)
        out.preset = field as PresetName
        break
      case 'logLevel':
        if (!LOG_LEVELS.includes(field as (typeof LOG_LEVELS)[number])) throw new DecodeError(`expected one of ${LOG_LEVELS.join(', ')}`, key)
        out.logLevel = field as NonNullable<NodeConfigFile['logLevel']>
        break
      case 'verifier':
        if (!VERIFIERS.includes(field as (typeof VERIFIERS)[number])) throw new DecodeError(`expected one of ${VERIFIERS.join(', ')}`, key)
        out.verifier = field as NonNullable<NodeConfigFile['verifier']>
        break
      default:
        throw new DecodeError(`unknown field (valid keys: ${CONFIG_KEYS.join(', ')})`, key)
    }
  }
  return out
}

/** Reads `path`; a missing file is an empty config. Malformed files throw `DecodeError`. */
export async function loadNodeConfig(path: string): Promise<NodeConfigFile> {
  await removeStaleTempFiles(path)
  let bytes: Uint8Array | undefined
  try {
    bytes = await readRegularFile(path, { maxBytes: MAX_CONFIG_FILE_BYTES })
  } catch (err) {
    if (err instanceof FileRefusedError) throw new DecodeError(err.message, '', { cause: err })
    throw err
  }
  if (bytes === undefined) return {}
  const text = new TextDecoder().decode(bytes)
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new DecodeError(`${path} is not valid JSON: ${(err as Error).message}`)
  }
  try {
    return parseNodeConfig(parsed)
  } catch (err) {
    // Name the file: the message reaches someone at a shell who may not know where config.json lives.
    if (err instanceof DecodeError) throw new DecodeError(`${path}: ${err.message}`, '', { cause: err })
    throw err
  }
}

export async function saveNodeConfig(path: string, config: NodeConfigFile): Promise<void> {
  const checked = parseNodeConfig(config)
  await writeFileAtomic(path, `${JSON.stringify(checked, null, 2)}\n`)
}
