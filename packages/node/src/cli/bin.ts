#!/usr/bin/env node
/**
 * The `saorsa-gossip` executable: wires the real process streams and signals into `main`. The first
 * SIGINT/SIGTERM asks the running command to finish (a daemon leaves the network cleanly); a second
 * SIGINT forces the exit.
 */
import { main } from './main.ts'
import { EXIT } from './exit-codes.ts'

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

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  interrupt: interrupt.signal,
})
process.exitCode = code
// Handles a library could leave open (timers, sockets) must not keep a finished command alive.
const stdoutFlushed = new Promise<void>((resolve) => process.stdout.write('', () => resolve()))
await stdoutFlushed
process.exit(code)
