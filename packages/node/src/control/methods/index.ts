/**
 * The layer control methods a daemon serves (SPEC.md section 8.1.1). Each layer contributes one file
 * in this directory and one line below; names are checked once here so a clash fails at start-up.
 */
import type { SaorsaNode } from '../../node.ts'
import { coordinatorControlMethods } from './coordinator.ts'
import { crdtMethods } from './crdt.ts'
import { groupsControlMethods } from './groups.ts'
import { presenceMethods } from './presence.ts'
import { pubsubMethods } from './pubsub.ts'
import { rendezvousMethods } from './rendezvous.ts'
import { EXTENSION_METHOD_NAME, type ControlMethodSpec, type ControlMethods, type ControlMethodsFactory } from './types.ts'

const FACTORIES: readonly ControlMethodsFactory[] = [
  pubsubMethods,
  coordinatorControlMethods,
  rendezvousMethods,
  groupsControlMethods,
  presenceMethods,
  crdtMethods,
]

export function layerControlMethods(node: SaorsaNode, factories: readonly ControlMethodsFactory[] = FACTORIES): ControlMethods {
  const methods = new Map<string, ControlMethodSpec>()
  for (const factory of factories) {
    for (const [name, spec] of Object.entries(factory(node))) {
      if (!EXTENSION_METHOD_NAME.test(name)) throw new RangeError(`control method name '${name}' must be <layer>.<verb>`)
      if (methods.has(name)) throw new RangeError(`control method '${name}' is declared twice`)
      if ((spec.run === undefined) === (spec.stream === undefined)) throw new RangeError(`control method '${name}' needs exactly one of run and stream`)
      methods.set(name, spec)
    }
  }
  return methods
}
