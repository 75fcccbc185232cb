/**
 * Named errors of NAT traversal (SPEC.md section 5.10): tests and callers match on `name`.
 */
import { SaorsaError } from '@saorsa-gossip/types'
import type { RelayStatus } from './codec.ts'

/** A reflector's answer was unusable, or a NAT traversal step failed. */
export class NatError extends SaorsaError {
  override readonly name = 'NatError'
}

/** The relay refused a reservation or a circuit; `status` is its answer (SPEC.md section 5.10.2). */
export class RelayRefusedError extends SaorsaError {
  override readonly name = 'RelayRefusedError'
  readonly status: RelayStatus
  constructor(status: RelayStatus, message = `relay refused: ${status}`) {
    super(message)
    this.status = status
  }
}

/** Every hole-punching attempt failed; the relayed connection stays in use. */
export class PunchFailedError extends SaorsaError {
  override readonly name = 'PunchFailedError'
}
