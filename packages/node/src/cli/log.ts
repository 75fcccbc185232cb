/**
 * The daemon's log on stderr: one readable line per record by default, pino's JSON lines with
 * `--log-format json` (or under `--json`), never both. The level comes from --verbose/--quiet, then
 * env SAORSA_GOSSIP_LOG, then config.json `logLevel`, then `warn`.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino'
import type { Writable } from 'node:stream'
import { UsageError, type GlobalFlags, type LogFormat } from './args.ts'

export const LOG_LEVEL_ENV = 'SAORSA_GOSSIP_LOG'
const LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']
const LEVEL_NAMES: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' }
/** Fields every record carries that the human line shows in its own place (or not at all). */
const SHOWN_APART = new Set(['level', 'time', 'msg', 'component', 'node', 'pid', 'hostname'])

export interface CliLogSettings {
  format: LogFormat
  level: LevelWithSilent
}

export function cliLogSettings(globals: GlobalFlags, env: NodeJS.ProcessEnv, configLevel?: LevelWithSilent): CliLogSettings {
  const format = globals.logFormat ?? (globals.json ? 'json' : 'human')
  const fromEnv = env[LOG_LEVEL_ENV]
  if (fromEnv !== undefined && fromEnv !== '' && !LEVELS.includes(fromEnv as LevelWithSilent)) {
    throw new UsageError(`${LOG_LEVEL_ENV} must be one of ${LEVELS.join(', ')}, got '${fromEnv}'`)
  }
  const level: LevelWithSilent = globals.verbose
    ? 'debug'
    : globals.quiet ? 'error' : ((fromEnv === undefined || fromEnv === '' ? undefined : fromEnv as LevelWithSilent) ?? configLevel ?? 'warn')
  return { format, level }
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) || value === '' ? JSON.stringify(value) : value
  return JSON.stringify(value)
}

/** One pino JSON record as `HH:MM:SS.mmm LEVEL component: message key=value ...`. */
export function humanLogLine(record: Record<string, unknown>): string {
  const time = typeof record.time === 'number' ? new Date(record.time).toISOString().slice(11, 23) : '--:--:--.---'
  const level = (LEVEL_NAMES[record.level as number] ?? String(record.level)).toUpperCase().padEnd(5)
  const component = typeof record.component === 'string' ? `${record.component}: ` : ''
  const fields = Object.entries(record)
    .filter(([k]) => !SHOWN_APART.has(k))
    .map(([k, v]) => `${k}=${formatValue(v)}`)
  return `${time} ${level} ${component}${String(record.msg ?? '')}${fields.length > 0 ? `  ${fields.join(' ')}` : ''}`
}

/** The root logger of a CLI command writing to `stream` (stderr) in the chosen format. */
export function createCliLogger(settings: CliLogSettings, stream: Writable): Logger {
  if (settings.level === 'silent') return pino({ level: 'silent' })
  if (settings.format === 'json') return pino({ level: settings.level, base: null }, { write: (line: string) => { stream.write(line) } })
  return pino({ level: settings.level, base: null }, {
    write(line: string) {
      let record: Record<string, unknown>
      try {
        record = JSON.parse(line) as Record<string, unknown>
      } catch {
        stream.write(line)
        return
      }
      stream.write(`${humanLogLine(record)}\n`)
    },
  })
}
