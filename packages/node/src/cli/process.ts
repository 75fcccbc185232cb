/**
 * Runs a CLI entry point as the process: wires the real streams and signals into it. The first
 * SIGINT/SIGTERM asks the running command to finish (a daemon leaves the network cleanly); a second
 * SIGINT forces the exit. Shared by `saorsa-gossip` and `saorsa-coordinator`.
 */
import type { CliIO } from './context.ts'
import { EXIT } from './exit-codes.ts'

export async function runProcess(entry: (argv: readonly string[], io: CliIO) => Promise<number>): Promise<never> {
  const interrupt = new AbortController()
  let signals = 0
  const onSignal = () => {
    signals++
    if (signals === 1) {
      interrupt.abort()
      return
    }
    process.stderr.write('forced exit\n')
    process.exit(EXIT.interrupted)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  const code = await entry(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    interrupt: interrupt.signal,
  })
  process.exitCode = code
  // Handles a library could leave open (timers, sockets) must not keep a finished command alive.
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()))
  process.exit(code)
}
