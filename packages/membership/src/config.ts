/**
 * Membership configuration: one sub-object per protocol layer (`hyparview`, and SWIM's settings
 * beside it) with LAN, WAN and LOCAL presets. The numbers and their sources live next to each
 * layer's definition in `proto/` so the sans-IO cores can use them directly.
 */
import { HYPARVIEW_LAN, HYPARVIEW_LOCAL, HYPARVIEW_WAN, validateHyParViewConfig } from './proto/hyparview-config.ts'
import type { HyParViewConfig } from './proto/hyparview-config.ts'
import { SWIM_LAN, SWIM_LOCAL, SWIM_WAN, validateSwimConfig } from './proto/swim-config.ts'
import type { SwimConfig } from './proto/swim-config.ts'
import { IDLE_CONNECTIONS_LAN, IDLE_CONNECTIONS_WAN, validateIdleConnectionConfig } from './idle-connections.ts'
import type { IdleConnectionConfig } from './idle-connections.ts'

export interface MembershipConfig {
  readonly hyparview: HyParViewConfig
  readonly swim: SwimConfig
  /** When connections to non-neighbours close for idleness (`idle-connections.ts`); default IDLE_CONNECTIONS_LAN. */
  readonly idleConnections?: IdleConnectionConfig
}

export const MEMBERSHIP_LAN: MembershipConfig = Object.freeze({ hyparview: HYPARVIEW_LAN, swim: SWIM_LAN, idleConnections: IDLE_CONNECTIONS_LAN })
export const MEMBERSHIP_WAN: MembershipConfig = Object.freeze({ hyparview: HYPARVIEW_WAN, swim: SWIM_WAN, idleConnections: IDLE_CONNECTIONS_WAN })
// Loopback runs the same exchanges as the LAN, so the same idle period holds.
export const MEMBERSHIP_LOCAL: MembershipConfig = Object.freeze({ hyparview: HYPARVIEW_LOCAL, swim: SWIM_LOCAL, idleConnections: IDLE_CONNECTIONS_LAN })

/** Throws a RangeError naming the first out-of-range field. */
export function validateMembershipConfig(config: MembershipConfig): MembershipConfig {
  validateHyParViewConfig(config.hyparview)
  validateSwimConfig(config.swim)
  if (config.idleConnections !== undefined) validateIdleConnectionConfig(config.idleConnections)
  return config
}
