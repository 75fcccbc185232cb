/**
 * Entry point of the `saorsa-gossip` CLI: resolves the command, builds its context, runs it and
 * maps failures to exit codes (exit-codes.ts). Testable: all IO comes in through `CliIO`.
 */
import { resolveCommand, type CommandSpec } from './args.ts'
import { createContext, type CliContext, type CliIO } from './context.ts'
import { EXIT, exitCodeFor } from './exit-codes.ts'
import { cliVersion, describeError } from './messages.ts'
import { identityCommands } from './commands/identity.ts'
import { joinCommand } from './commands/join.ts'
import { remoteCommands } from './commands/remote.ts'
import { dashboardCommand } from './commands/dashboard.ts'
import { rendezvousCommands } from './commands/rendezvous.ts'
import { groupCommands } from './commands/groups.ts'
import { coordinatorCommands } from './commands/coordinator.ts'
import { presenceCommands } from './commands/presence.ts'
import { crdtCommands } from './commands/crdt.ts'

export const BIN = 'saorsa-gossip'

export const COMMANDS: readonly CommandSpec<CliContext>[] = [
  ...identityCommands,
  joinCommand,
  ...remoteCommands,
  dashboardCommand,
  ...rendezvousCommands,
  ...groupCommands,
  ...coordinatorCommands,
  ...presenceCommands,
  ...crdtCommands,
]

export async function main(argv: readonly string[], io: CliIO, commands: readonly CommandSpec<CliContext>[] = COMMANDS, bin = BIN): Promise<number> {
  let resolution
  try {
    resolution = resolveCommand(bin, commands, argv)
  } catch (err) {
    io.stderr.write(`error: ${(err as Error).message}\n`)
    return exitCodeFor(err)
  }
  switch (resolution.kind) {
    case 'help':
      io.stdout.write(`${resolution.text}\n`)
      return EXIT.ok
    case 'usage':
      io.stderr.write(`${resolution.text}\n`)
      return EXIT.usage
    case 'version':
      io.stdout.write(`${bin} ${cliVersion()}\n`)
      return EXIT.ok
  }
  const ctx = createContext(io, resolution.globals)
  try {
    return await resolution.command.run(ctx, resolution.args)
  } catch (err) {
    const described = describeError(err)
    const code = described.usage === true ? EXIT.usage : exitCodeFor(err)
    if (code === EXIT.interrupted) return code
    const e = err as Error & { remoteName?: string }
    if (ctx.globals.json) io.stderr.write(`${JSON.stringify({ error: { name: e.remoteName ?? e.name, message: described.message } })}\n`)
    else ctx.out.error(described.message)
    if (ctx.globals.verbose && e.stack !== undefined) io.stderr.write(`${e.stack}\n`)
    return code
  }
}
