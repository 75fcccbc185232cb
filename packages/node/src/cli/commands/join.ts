/**
 * `saorsa-gossip network join`: runs a node in the foreground with its control socket, until
 * SIGINT/SIGTERM or `network leave`. Contacts come from the peer cache first, then `--bootstrap`
 * (or config.json), so a restart rejoins without flags. `--json` prints one event object per line.
 */
import type { Identity } from '@saorsa-gossip/identity'
import { loadNodeConfig, type PresetName } from '../../config/node-config.ts'
import { PeerCache } from '../../config/peer-cache.ts'
import { ensureHome } from '../../config/paths.ts'
import { startControlServer } from '../../control/server.ts'
import { controlHandlersFor } from '../../control/handlers.ts'
import { layerControlMethods } from '../../control/methods/index.ts'
import { CACHED_COORDINATOR_CONTACTS } from '../../coordinator.ts'
import { createNode, type SaorsaNode, type SaorsaNodeInit } from '../../node.ts'
import { UsageError, type CommandSpec, type ParsedCommand } from '../args.ts'
import type { CliContext } from '../context.ts'
import { EXIT } from '../exit-codes.ts'
import { readPassphrase } from '../passphrase.ts'
import { checkAddresses, checkCanBind } from '../bind-check.ts'
import { createMetrics, serveMetrics, type MetricsServer } from '../../metrics.ts'
import { NAT_ROLES, parseHostPort, type NatRole } from '@saorsa-gossip/transport'
import type { NodeNatOptions } from '../../nat.ts'

/** `host:port` of --metrics, checked like a listen address. */
function metricsAddress(value: string): { host: string; port: number } {
  try {
    return parseHostPort(`tcp://${value}`, 'tcp')
  } catch {
    throw new UsageError(`--metrics must be host:port, e.g. 127.0.0.1:9464, got '${value}'`)
  }
}
import { DEFAULT_ALIAS, withAlias } from './identity.ts'
import { loadIdentity } from '../../identity-store.ts'
import { rendezvousOptions } from './rendezvous.ts'
import { basename, dirname, resolve } from 'node:path'

const plural = (n: number, noun: string): string => (n === 0 ? '' : `${n} ${noun}${n === 1 ? '' : 's'}`)
/** `--roles reflector,relay --reflector <addr> --relay <addr>` as the node's `nat` option (SPEC.md section 5.10). */
function natOptions(roles: string[], reflectors: string[], relays: string[]): NodeNatOptions | undefined {
  const names = roles.flatMap((r) => r.split(',')).map((r) => r.trim()).filter((r) => r !== '')
  for (const role of names) if (!(NAT_ROLES as readonly string[]).includes(role)) throw new UsageError(`--roles: unknown role '${role}' (expected ${NAT_ROLES.join(', ')})`)
  if (names.length === 0 && reflectors.length === 0 && relays.length === 0) return undefined
  return { roles: names as NatRole[], reflectors, relays }
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [])

/** What a command running a node (`saorsa-coordinator`) adds to the node's options, and does once it runs. */
export interface NodeRunExtras {
  readonly init?: (preset: PresetName) => Pick<SaorsaNodeInit, 'coordinator' | 'rendezvous'>
  /** Called after start, before joining (a coordinator announces itself here). */
  readonly onStarted?: (node: SaorsaNode) => void
}

/** `--identity-path <dir>/<alias>.key`: an identity kept outside the home, as the reference's coordinator takes it. */
function identityPathOption(values: Record<string, unknown>): { dir: string; alias: string } | undefined {
  const path = values['identity-path'] as string | undefined
  if (path === undefined) return undefined
  if (values.identity !== undefined) throw new UsageError('give --identity or --identity-path, not both')
  const alias = basename(path).endsWith('.key') ? basename(path).slice(0, -'.key'.length) : ''
  if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/.test(alias)) {
    throw new UsageError(`--identity-path must name a keystore file '<alias>.key' (alias: letters, digits, '.', '_', '-'), got '${path}'`)
  }
  return { dir: resolve(dirname(path)), alias }
}

export const joinCommand = {
  path: ['network', 'join'],
  summary: 'Run a node in the foreground and join the network',
  options: {
    bootstrap: { type: 'string', short: 'b', multiple: true, description: 'bootstrap peer address, e.g. tcp://203.0.113.7:7000', valueName: 'addr' },
    identity: { type: 'string', short: 'i', description: `keystore alias to run as (default '${DEFAULT_ALIAS}', created if missing)`, valueName: 'alias' },
    'identity-path': { type: 'string', description: 'keystore file to run as instead (<dir>/<alias>.key; created if missing)', valueName: 'file' },
    bind: { type: 'string', multiple: true, description: 'listen address (default tcp://0.0.0.0:0)', valueName: 'addr' },
    announce: { type: 'string', multiple: true, description: 'address peers should dial to reach this node (default: the bound addresses)', valueName: 'addr' },
    metrics: { type: 'string', description: 'serve Prometheus metrics at http://<host:port>/metrics, e.g. 127.0.0.1:9464', valueName: 'host:port' },
    preset: { type: 'string', description: 'timing preset: local, lan or wan (default lan)', valueName: 'name' },
    verifier: { type: 'string', description: 'check pubsub signatures inline (default) or on a pool of worker threads', valueName: 'inline|pool' },
    'passphrase-file': { type: 'string', description: 'read the keystore passphrase from this file', valueName: 'path' },
    'serve-rendezvous': { type: 'boolean', description: 'hold the rendezvous role: keep and answer provider summaries (SPEC 11)' },
    'rendezvous-server': { type: 'string', multiple: true, description: 'PeerId (64 hex) of a node holding the rendezvous role', valueName: 'peerId' },
    'hide-key-package-record': { type: 'boolean', description: 'keep this node off rendezvous as an invitee (SPEC 10.3): inviters then need its address or --key-package' },
    roles: { type: 'string', multiple: true, description: 'NAT roles served to others: reflector, relay (comma-separated)', valueName: 'roles' },
    reflector: { type: 'string', multiple: true, description: 'reflector to learn the public address and NAT class from (give two)', valueName: 'addr' },
    relay: { type: 'string', multiple: true, description: 'relay to hold a reservation at, so peers reach this node behind a NAT', valueName: 'addr' },
  },
  details: 'Without --bootstrap the node rejoins through the peers it cached last time (peers.cbor),\n' +
    'then through the coordinators whose signed adverts it cached (coordinators.cbor).\n' +
    'When no contact answers, the node keeps running and redials them with exponential backoff\n' +
    '(at most 30 s apart; 5 s with --preset local) until one does, and serves peers that join it.\n' +
    'Stop with Ctrl-C (twice to force) or `saorsa-gossip network leave`.',
  async run(ctx: CliContext, { values }: ParsedCommand, extras: NodeRunExtras = {}): Promise<number> {
    const { out, layout } = ctx
    await ensureHome(layout)
    const config = await loadNodeConfig(layout.configFile)
    const preset = (values.preset ?? config.preset ?? 'lan') as string
    if (!['local', 'lan', 'wan'].includes(preset)) throw new UsageError('--preset must be local, lan or wan')
    const verifier = (values.verifier ?? config.verifier ?? 'inline') as string
    if (verifier !== 'inline' && verifier !== 'pool') throw new UsageError('--verifier must be inline or pool')
    const logger = ctx.logger(config.logLevel)
    const listen = list(values.bind).length > 0 ? list(values.bind) : (config.listen ?? ['tcp://0.0.0.0:0'])
    const announce = list(values.announce).length > 0 ? list(values.announce) : config.announce
    const bootstrap = list(values.bootstrap).length > 0 ? list(values.bootstrap) : (config.bootstrap ?? [])
    const nat = natOptions(list(values.roles), list(values.reflector), list(values.relay))
    checkAddresses([...listen, ...(announce ?? []), ...bootstrap, ...(nat?.reflectors ?? []), ...(nat?.relays ?? [])])
    const rendezvous = rendezvousOptions(values['serve-rendezvous'] === true, list(values['rendezvous-server']))
    const metricsAt = values.metrics === undefined ? undefined : metricsAddress(values.metrics as string)
    // Before any identity is created or unlocked: a busy port must not leave a new key behind.
    await checkCanBind([...listen, ...(metricsAt === undefined ? [] : [`tcp://${values.metrics as string}`])])
    const identityPath = identityPathOption(values)
    const alias = identityPath?.alias ?? (values.identity as string | undefined) ?? config.identity ?? DEFAULT_ALIAS
    const passphrase = await readPassphrase(ctx.io, values['passphrase-file'] as string | undefined, `Passphrase for '${alias}': `)
    // A missing identity is created only when no alias was asked for explicitly.
    let identity: Identity
    try {
      const loaded = await loadIdentity({
        home: layout.home, alias, passphrase, create: values.identity === undefined, signal: ctx.io.interrupt,
        ...(identityPath === undefined ? {} : { keystoreDir: identityPath.dir }),
      })
      identity = loaded.identity
      if (loaded.created) out.progress(`created identity '${alias}'`)
    } catch (err) {
      return withAlias(alias, () => Promise.reject(err))
    }
    const node = createNode({
      identity, home: layout.home, preset: preset as 'local' | 'lan' | 'wan', verifier,
      listen,
      logger,
      ...(announce === undefined ? {} : { announce }),
      rendezvous,
      ...(values['hide-key-package-record'] === true ? { groups: { provideKeyPackages: false } } : {}),
      ...extras.init?.(preset as PresetName),
      ...(nat === undefined ? {} : { nat }),
    })
    const peerId = node.peerId.toHex()
    node.addEventListener('peer:up', (e) => out.json
      ? out.event('', { event: 'peer:up', peerId: e.detail.peerId.toHex() })
      : out.progress(`neighbour up:   ${e.detail.peerId.toHex().slice(0, 16)}`))
    node.addEventListener('peer:down', (e) => out.json
      ? out.event('', { event: 'peer:down', peerId: e.detail.peerId.toHex() })
      : out.progress(`neighbour down: ${e.detail.peerId.toHex().slice(0, 16)}`))

    const leave = new AbortController()
    // The control socket first: it also proves no other node owns this home before any port is bound.
    const control = await startControlServer(layout.controlSocket, controlHandlersFor(node, () => leave.abort()), layerControlMethods(node))
    // Read before the node does, so a damaged cache is reported in the CLI's words, not only in the log.
    const cached = (await PeerCache.load(layout.peerCacheFile, {
      onProblem: (p) => out.progress(p.kind === 'corrupt'
        ? `warning: peer cache ${layout.peerCacheFile} was unreadable (${p.message}); kept it as ${p.keptAs} and starting with no cached peers`
        : `warning: ${p.message}; starting with no cached peers`),
    })).size
    let metricsServer: MetricsServer | undefined
    try {
      await node.start({ signal: ctx.io.interrupt })
      if (metricsAt !== undefined) {
        metricsServer = await serveMetrics(createMetrics(node), metricsAt.host, metricsAt.port)
        if (out.json) out.event('', { event: 'metrics', url: metricsServer.url })
        else out.progress(`metrics at ${metricsServer.url}`)
      }
      const addrs = node.listenAddrs()
      if (out.json) out.event('', { event: 'listening', peerId, addrs, control: layout.controlSocket })
      else out.progress(`Saorsa Gossip node ${peerId} (identity '${alias}')\nlistening on ${addrs.join(', ')}`)
      extras.onStarted?.(node)
      const coordinators = node.coordinator.coordinators({ limit: CACHED_COORDINATOR_CONTACTS }).length
      const fromCaches = [plural(cached, 'cached peer'), plural(coordinators, 'cached coordinator')].filter((t) => t !== '').join(' and ')
      if (bootstrap.length > 0) out.progress(`connecting to ${fromCaches === '' ? '' : `${fromCaches} and `}${plural(bootstrap.length, 'bootstrap peer')}...`)
      else if (fromCaches !== '') out.progress(`rejoining through ${fromCaches}...`)
      const joinContacts = cached + coordinators + bootstrap.length
      try {
        const joined = await node.join(bootstrap, { signal: ctx.io.interrupt })
        if (out.json) out.event('', { event: 'joined', activePeers: node.status().activePeers, contacted: joined.contacted })
        else out.progress(`joined, ${node.status().activePeers} active neighbour${node.status().activePeers === 1 ? '' : 's'}`)
      } catch (err) {
        // Nobody answered (yet): the node still serves, others can join through it, and the
        // membership layer redials the contacts with backoff, so the join is never given up.
        if ((err as Error).name !== 'JoinFailedError') throw err
        if (out.json) out.event('', { event: 'waiting', reason: (err as Error).message, redialling: joinContacts > 0 })
        else out.progress(`${(err as Error).message}; waiting for peers to join this node`)
        node.addEventListener('peer:up', () => {
          if (out.json) out.event('', { event: 'joined', activePeers: node.status().activePeers, contacted: 0 })
          else out.progress(`joined, ${node.status().activePeers} active neighbour(s)`)
        }, { once: true })
      }
      out.progress('running; Ctrl-C to leave')
      await new Promise<void>((resolve) => {
        if (ctx.io.interrupt.aborted || leave.signal.aborted) return resolve()
        ctx.io.interrupt.addEventListener('abort', () => resolve(), { once: true })
        leave.signal.addEventListener('abort', () => resolve(), { once: true })
      })
      out.progress('leaving the network...')
    } finally {
      await metricsServer?.close()
      await control.close()
      await node.stop()
    }
    if (out.json) out.event('', { event: 'stopped' })
    else out.progress('left the network')
    return EXIT.ok
  },
} satisfies CommandSpec<CliContext>
