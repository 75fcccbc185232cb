/**
 * Where the CLI gets a keystore passphrase, in order: `--passphrase-file`, env
 * SAORSA_GOSSIP_PASSPHRASE, then a hidden prompt on a TTY. Without any of them the command fails
 * with a usage error rather than hanging on a pipe.
 */
import { readFile } from 'node:fs/promises'
import type { CliIO } from './context.ts'
import { UsageError } from './args.ts'

export const PASSPHRASE_ENV = 'SAORSA_GOSSIP_PASSPHRASE'
const MAX_PASSPHRASE_FILE_BYTES = 4096

export async function readPassphrase(io: CliIO, file: string | undefined, prompt: string): Promise<string> {
  if (file !== undefined) {
    const bytes = await readFile(file)
    if (bytes.length > MAX_PASSPHRASE_FILE_BYTES) throw new UsageError(`passphrase file over ${MAX_PASSPHRASE_FILE_BYTES} bytes`)
    // One trailing newline is an editor artefact, not part of the passphrase.
    return bytes.toString('utf8').replace(/\r?\n$/, '')
  }
  const fromEnv = io.env[PASSPHRASE_ENV]
  // An empty variable is almost always a shell mistake (`export VAR=$UNSET`), never a chosen passphrase.
  if (fromEnv === '') throw new UsageError(`${PASSPHRASE_ENV} is set but empty; set it to the passphrase, unset it to be prompted, or use --passphrase-file`)
  if (fromEnv !== undefined) return fromEnv
  if (io.stdin.isTTY === true && io.stdin.setRawMode !== undefined) return promptHidden(io, prompt)
  throw new UsageError(`no passphrase: use --passphrase-file, set ${PASSPHRASE_ENV}, or run on a terminal`)
}

/** Below this length a passphrase falls to offline guessing of a copied key file within reach of one GPU. */
export const MIN_PASSPHRASE_CHARS = 12

/**
 * A passphrase for a new key file. Typed at the prompt it is asked twice, since a typo would lock the
 * key for good; one shorter than MIN_PASSPHRASE_CHARS is accepted with a warning stating the rule.
 */
export async function readNewPassphrase(io: CliIO, file: string | undefined, alias: string): Promise<string> {
  const prompted = file === undefined && io.env[PASSPHRASE_ENV] === undefined
  const passphrase = await readPassphrase(io, file, `New passphrase for '${alias}': `)
  if (prompted) {
    const again = await promptHidden(io, `Repeat the passphrase for '${alias}': `)
    if (again !== passphrase) throw new UsageError('the two passphrases differ; nothing was created')
  }
  if ([...passphrase].length < MIN_PASSPHRASE_CHARS) {
    io.stderr.write(`warning: the passphrase is shorter than ${MIN_PASSPHRASE_CHARS} characters; anyone holding a copy of the key file can guess short passphrases offline. Use ${MIN_PASSPHRASE_CHARS} or more (several unrelated words).\n`)
  }
  return passphrase
}

/** Reads one visible line from the terminal (a typed confirmation); '' on a non-terminal stdin. */
export function promptLine(io: CliIO, prompt: string): Promise<string> {
  const stdin = io.stdin
  if (stdin.isTTY !== true) return Promise.resolve('')
  io.stderr.write(prompt)
  stdin.resume()
  let typed = ''
  return new Promise((resolve) => {
    const onData = (chunk: Buffer) => {
      typed += chunk.toString('utf8')
      const nl = typed.indexOf('\n')
      if (nl === -1) return
      stdin.off('data', onData)
      stdin.pause()
      resolve(typed.slice(0, nl).replace(/\r$/, ''))
    }
    stdin.on('data', onData)
  })
}

/** Reads one line from the terminal without echoing it. Ctrl-C aborts. */
function promptHidden(io: CliIO, prompt: string): Promise<string> {
  const stdin = io.stdin
  io.stderr.write(prompt)
  stdin.setRawMode?.(true)
  stdin.resume()
  let typed = ''
  return new Promise((resolve, reject) => {
    const finish = (err?: Error) => {
      stdin.off('data', onData)
      stdin.setRawMode?.(false)
      stdin.pause()
      io.stderr.write('\n')
      if (err !== undefined) reject(err)
      else resolve(typed)
    }
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish()
        if (ch === '\u0003') return finish(new UsageError('passphrase prompt cancelled'))
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1)
        else typed += ch
      }
    }
    stdin.on('data', onData)
  })
}
