/**
 * What every CLI command gets: parsed global flags, the home layout, and an output helper that
 * prints either human text or JSON. Human progress goes to stdout unless --quiet or --json;
 * errors always go to stderr.
 */
import type { Readable, Writable } from 'node:stream'
import { homeLayout, resolveHome, type HomeLayout } from '../config/paths.ts'
import type { Logger, LevelWithSilent } from 'pino'
import type { GlobalFlags } from './args.ts'
import { cliLogSettings, createCliLogger } from './log.ts'

export interface CliIO {
  stdout: Writable
  stderr: Writable
  stdin: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown }
  env: NodeJS.ProcessEnv
  /** Fires on the first SIGINT/SIGTERM; commands that run until interrupted wait on it. */
  interrupt: AbortSignal
}

export class Output {
  constructor(private readonly io: CliIO, private readonly globals: GlobalFlags) {}

  get json(): boolean {
    return this.globals.json
  }

  /** A command's result: JSON in --json mode, otherwise the human text (printed even with --quiet). */
  result(human: string, json: unknown): void {
    this.io.stdout.write(this.globals.json ? `${JSON.stringify(json)}\n` : `${human}\n`)
  }

  /** One streamed item (a received message, a progress event) of a long-running command. */
  event(human: string, json: unknown): void {
    this.result(human, json)
  }

  /** Human progress text, suppressed by --quiet and --json. */
  progress(text: string): void {
    if (!this.globals.quiet && !this.globals.json) this.io.stdout.write(`${text}\n`)
  }

  error(message: string): void {
    this.io.stderr.write(`error: ${message}\n`)
  }
}

export interface CliContext {
  io: CliIO
  globals: GlobalFlags
  layout: HomeLayout
  out: Output
  /**
   * The root logger for a node this command runs: human lines on stderr, or JSON with --log-format
   * json; level from --verbose/--quiet, env SAORSA_GOSSIP_LOG, then `configLevel`.
   */
  logger(configLevel?: LevelWithSilent): Logger
}

export function createContext(io: CliIO, globals: GlobalFlags): CliContext {
  return {
    io, globals, layout: homeLayout(resolveHome(globals.home, io.env)), out: new Output(io, globals),
    logger: (configLevel) => createCliLogger(cliLogSettings(globals, io.env, configLevel), io.stderr),
  }
}
