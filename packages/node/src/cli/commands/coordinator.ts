/**
 * `saorsa-gossip network coordinators` and `network addressbook`: what the running node learned from
 * the coordinator layer (SPEC.md section 9), read through the `coordinator.*` control methods.
 */
import { ROLES } from '@saorsa-gossip/coordinator'
import { controlRequest } from '../../control/client.ts'
import type { AddressBookJson, AdvertJson } from '../../control/methods/coordinator.ts'
import { UsageError, type CommandSpec } from '../args.ts'
import type { CliContext } from '../context.ts'
import { EXIT } from '../exit-codes.ts'

function expiresIn(expiresMs: number, nowMs: number): string {
  const s = Math.max(0, Math.round((expiresMs - nowMs) / 1000))
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`
}

export const coordinatorCommands: CommandSpec<CliContext>[] = [
  {
    path: ['network', 'coordinators'],
    summary: 'List the verified coordinator adverts the running node caches, best first',
    options: {
      role: { type: 'string', description: `only adverts holding this role (${ROLES.join(', ')})`, valueName: 'role' },
    },
    details: 'Adverts are signed by their publisher and checked before they are cached (coordinators.cbor);\n' +
      '`network join` without --bootstrap dials the best of them after the cached peers.',
    async run(ctx, { values }) {
      const role = values.role as string | undefined
      if (role !== undefined && !(ROLES as readonly string[]).includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}, got '${role}'`)
      const adverts = (await controlRequest(ctx.layout.controlSocket, 'coordinator.list', role === undefined ? {} : { role }, { signal: ctx.io.interrupt })) as AdvertJson[]
      const now = Date.now()
      const lines = adverts.length === 0
        ? ['No coordinator adverts cached']
        : adverts.map((a) => `${a.peerId.slice(0, 16)}  ${a.roles.join(',').padEnd(12)} nat ${a.nat.padEnd(9)} expires in ${expiresIn(a.expiresMs, now).padEnd(4)} ${a.addresses.join(' ')}`)
      ctx.out.result(lines.join('\n'), adverts)
      return EXIT.ok
    },
  },
  {
    path: ['network', 'addressbook'],
    summary: 'List the peers whose signed address records the running node heard',
    details: 'Filled when the preset publishes peer records (lan and local; off for wan, where it would not scale).',
    async run(ctx) {
      const book = (await controlRequest(ctx.layout.controlSocket, 'coordinator.addressbook', {}, { signal: ctx.io.interrupt })) as AddressBookJson[]
      const lines = book.length === 0
        ? ['Address book is empty']
        : book.map((e) => `${e.peerId.slice(0, 16)}  heard ${Math.round(e.lastHeardAgoMs / 1000)}s ago  ${e.addresses.join(' ')}`)
      ctx.out.result(lines.join('\n'), book)
      return EXIT.ok
    },
  },
]
