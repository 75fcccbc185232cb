/**
 * Command-line parsing for `saorsa-gossip` on node:util parseArgs (no dependency): a table of
 * commands, each with its options, positionals and help text, plus global options accepted
 * anywhere on the line. `--help` works on every level.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { SaorsaError } from '@saorsa-gossip/types'

export class UsageError extends SaorsaError {
  override readonly name = 'UsageError'
}

type OptionSpec = NonNullable<ParseArgsConfig['options']>[string] & { description: string; valueName?: string }

export interface CommandSpec<C> {
  /** `['network', 'join']`, or one word for a top-level command (`['dashboard']`). */
  path: readonly [string, string] | readonly [string]
  summary: string
  /** Positional arguments, in order (`alias`); a trailing `?` marks one optional. */
  positionals?: readonly string[]
  options?: Record<string, OptionSpec>
  /** Extra lines of help (examples, notes). */
  details?: string
  run(context: C, args: ParsedCommand): Promise<number>
}

export interface ParsedCommand {
  values: Record<string, string | boolean | string[] | undefined>
  positionals: string[]
}

export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  home: { type: 'string', short: 'c', description: 'home directory (default $SAORSA_GOSSIP_HOME or ~/.saorsa-gossip)', valueName: 'dir' },
  json: { type: 'boolean', description: 'print machine-readable JSON' },
  verbose: { type: 'boolean', short: 'v', description: 'log debug detail to stderr' },
  quiet: { type: 'boolean', short: 'q', description: 'print only results and errors' },
  'log-format': { type: 'string', description: "log lines on stderr as 'human' (default) or 'json'; level from $SAORSA_GOSSIP_LOG", valueName: 'fmt' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
  version: { type: 'boolean', short: 'V', description: 'print the version and exit' },
}

export const LOG_FORMATS = ['human', 'json'] as const
export type LogFormat = (typeof LOG_FORMATS)[number]

export interface GlobalFlags {
  home?: string
  json: boolean
  verbose: boolean
  quiet: boolean
  help: boolean
  /** From --log-format; undefined lets the command choose (human text, JSON under --json). */
  logFormat?: LogFormat
}

export type Resolution<C> =
  | { kind: 'help'; text: string }
  /** Not enough words to name a command: the overview goes to stderr and the exit code is 2. */
  | { kind: 'usage'; text: string }
  | { kind: 'version' }
  | { kind: 'command'; command: CommandSpec<C>; args: ParsedCommand; globals: GlobalFlags }

function optionLines(options: Record<string, OptionSpec>): string[] {
  return Object.entries(options).map(([name, spec]) => {
    const flag = `${spec.short !== undefined ? `-${spec.short}, ` : '    '}--${name}${spec.type === 'string' ? ` <${spec.valueName ?? 'value'}>` : ''}`
    return `  ${flag.padEnd(30)} ${spec.description}${spec.multiple === true ? ' (repeatable)' : ''}`
  })
}

export function commandHelp<C>(bin: string, command: CommandSpec<C>): string {
  const pos = (command.positionals ?? []).map((p) => (p.endsWith('?') ? `[${p.slice(0, -1)}]` : `<${p}>`)).join(' ')
  const lines = [`Usage: ${bin} ${command.path.join(' ')}${pos === '' ? '' : ` ${pos}`} [options]`, '', command.summary, '']
  if (command.options !== undefined && Object.keys(command.options).length > 0) lines.push('Options:', ...optionLines(command.options), '')
  lines.push('Global options:', ...optionLines(GLOBAL_OPTIONS))
  if (command.details !== undefined) lines.push('', command.details)
  return lines.join('\n')
}

export function overviewHelp<C>(bin: string, commands: readonly CommandSpec<C>[], group?: string): string {
  const shown = commands.filter((c) => group === undefined || c.path[0] === group)
  const lines = [`Usage: ${bin} ${group ?? '<group>'} <command> [options]`, '', 'Commands:']
  for (const c of shown) lines.push(`  ${c.path.join(' ').padEnd(22)} ${c.summary}`)
  lines.push('', 'Global options:', ...optionLines(GLOBAL_OPTIONS), '', `Run '${bin} <group> <command> --help' for a command's options.`)
  return lines.join('\n')
}

/** The non-option words of argv, skipping the values of string options (`--home /x network join`). */
function commandWords<C>(commands: readonly CommandSpec<C>[], argv: readonly string[]): string[] {
  const takesValue = new Set<string>()
  for (const options of [GLOBAL_OPTIONS, ...commands.map((c) => c.options ?? {})]) {
    for (const [name, spec] of Object.entries(options)) {
      if (spec.type !== 'string') continue
      takesValue.add(`--${name}`)
      if (spec.short !== undefined) takesValue.add(`-${spec.short}`)
    }
  }
  const words: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') break
    if (arg.startsWith('-')) {
      if (takesValue.has(arg)) i++
      continue
    }
    words.push(arg)
  }
  return words
}

/** Node's parseArgs messages, restated in the CLI's words with one quoting style. */
function parseArgsProblem(err: Error & { code?: string }, options: Record<string, OptionSpec>): string {
  const quoted = /'(-[^']*?)'/.exec(err.message)?.[1] ?? /--?[\w-]+/.exec(err.message)?.[0] ?? ''
  const flag = quoted.split(',').pop()!.trim().split(' ')[0]!
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option '${flag}'`
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const name = flag.replace(/^-+/, '')
      const spec = options[name] ?? Object.entries(options).find(([, o]) => o.short === name)?.[1]
      return spec?.type === 'string' ? `option '${flag}' needs a value` : `option '${flag}' takes no value`
    }
    default:
      return err.message
  }
}

/** Resolves argv to a command and its parsed arguments, or to help text. Throws `UsageError`. */
export function resolveCommand<C>(bin: string, commands: readonly CommandSpec<C>[], argv: readonly string[]): Resolution<C> {
  const words = commandWords(commands, argv)
  const wantsHelp = argv.includes('--help') || argv.includes('-h')
  const group = words[0]
  const groups = [...new Set(commands.map((c) => c.path[0]))]
  if (argv.includes('--version') || argv.includes('-V')) return { kind: 'version' }
  if (group === 'help' || (group === undefined && wantsHelp)) return { kind: 'help', text: overviewHelp(bin, commands) }
  if (group === undefined) return { kind: 'usage', text: overviewHelp(bin, commands) }
  if (!groups.includes(group)) throw new UsageError(`unknown command group '${group}' (expected one of: ${groups.join(', ')})`)
  const name = words[1]
  const command = commands.find((c) => c.path.length === 1 && c.path[0] === group) ??
    commands.find((c) => c.path[0] === group && c.path[1] === name)
  if (command === undefined) {
    if (wantsHelp) return { kind: 'help', text: overviewHelp(bin, commands, group) }
    if (name === undefined) return { kind: 'usage', text: overviewHelp(bin, commands, group) }
    throw new UsageError(`unknown command '${group} ${name}'; run '${bin} ${group} --help'`)
  }
  if (wantsHelp) return { kind: 'help', text: commandHelp(bin, command) }
  const options = { ...GLOBAL_OPTIONS, ...(command.options ?? {}) }
  const config: Record<string, Omit<OptionSpec, 'description' | 'valueName'>> = {}
  for (const [k, { description: _d, valueName: _v, ...rest }] of Object.entries(options)) config[k] = rest
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({ args: [...argv], options: config as ParseArgsConfig['options'], allowPositionals: true, strict: true })
  } catch (err) {
    throw new UsageError(`${parseArgsProblem(err as Error & { code?: string }, options)}; run '${bin} ${command.path.join(' ')} --help'`)
  }
  // The first positionals are the command's own words.
  const positionals = parsed.positionals.slice(command.path.length)
  const declared = command.positionals ?? []
  const required = declared.filter((p) => !p.endsWith('?')).length
  if (positionals.length < required) throw new UsageError(`missing <${declared[positionals.length]}>; run '${bin} ${command.path.join(' ')} --help'`)
  if (positionals.length > declared.length) throw new UsageError(`unexpected argument '${positionals[declared.length]}'`)
  const values = parsed.values as ParsedCommand['values']
  const globals: GlobalFlags = {
    json: values.json === true,
    verbose: values.verbose === true,
    quiet: values.quiet === true,
    help: false,
  }
  if (typeof values.home === 'string') globals.home = values.home
  const logFormat = values['log-format']
  if (logFormat !== undefined) {
    if (!LOG_FORMATS.includes(logFormat as LogFormat)) throw new UsageError(`--log-format must be ${LOG_FORMATS.join(' or ')}, got '${String(logFormat)}'`)
    globals.logFormat = logFormat as LogFormat
  }
  if (globals.verbose && globals.quiet) throw new UsageError('--verbose and --quiet cannot be combined')
  return { kind: 'command', command, args: { values, positionals }, globals }
}
