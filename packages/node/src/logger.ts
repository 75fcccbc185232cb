/**
 * Logging (docs/architecture.md section 6): one pino root logger per node, a child per component
 * (`{component: 'membership'}` etc.). Silent unless the application passes a logger or a level, so
 * embedding the library never prints anything by surprise.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino'

export type { Logger }
export type LogLevel = LevelWithSilent

export interface LoggerInit {
  /** A logger to derive from (the node adds `{node: <short peer id>}` bindings). */
  logger?: Logger
  /** Level of a fresh root logger writing JSON lines to stderr; default 'silent'. */
  level?: LogLevel
}

/** Builds the node's root logger. */
export function createRootLogger(init: LoggerInit = {}): Logger {
  if (init.logger !== undefined) return init.logger
  const level = init.level ?? 'silent'
  if (level === 'silent') return pino({ level: 'silent' })
  return pino({ level, base: null }, pino.destination({ fd: 2, sync: true }))
}

/** A child logger for one component of a node. */
export function componentLogger(root: Logger, component: string): Logger {
  return root.child({ component })
}
