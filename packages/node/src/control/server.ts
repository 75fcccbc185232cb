/**
 * The control-socket server a running node exposes to the CLI (SPEC.md section 8). A Unix domain
 * socket in the private home directory, mode 0600. A socket file left by a crashed node is detected
 * (nobody accepts on it) and replaced; a live one means another node already owns this home.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { chmod, unlink } from 'node:fs/promises'
import {
  BadRequestError, LineSplitter, MAX_CONTROL_CONNECTIONS, parseControlRequest,
  type ControlReply, type ControlRequest,
} from './protocol.ts'
import { NodeAlreadyRunningError } from '../errors.ts'
import type { ControlMethods } from './methods/types.ts'

/** What the server does for each method; results must be JSON-serialisable. */
export interface ControlHandlers {
  status(): Promise<unknown> | unknown
  peers(): Promise<unknown> | unknown
  topics(): Promise<unknown> | unknown
  publish(topic: string, payload: Uint8Array, signal: AbortSignal): Promise<unknown>
  /** Streams events until `signal` fires (the client went away or the node stops). */
  subscribe(topic: string, signal: AbortSignal): AsyncIterable<unknown>
  /** Called after the `leave` reply is flushed: the node shuts down. */
  leave(): void
}

export interface ControlServer {
  readonly path: string
  close(): Promise<void>
}

/**
 * Removes the socket file at `path` if there is one. `unlink`, not `fs.rm`: on Node 20, `rm` of a
 * socket file leaves the ESM loader unable to resolve packages through pnpm's symlinks for the rest
 * of the process (a later dynamic import fails with ERR_MODULE_NOT_FOUND), so a daemon restarted
 * over a crashed one's socket could not load its groups layer.
 */
async function removeSocketFile(path: string): Promise<void> {
  try {
    await unlink(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
}

/** True if something accepts connections on `path`. */
export function probeSocket(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(path)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/** Serves the core `handlers` and the layer `methods` (section 8.1.1) on the socket at `path`. */
export async function startControlServer(path: string, handlers: ControlHandlers, methods: ControlMethods = new Map()): Promise<ControlServer> {
  if (await probeSocket(path)) throw new NodeAlreadyRunningError(`a node is already running with control socket ${path}`)
  await removeSocketFile(path)
  const sockets = new Set<Socket>()
  const stop = new AbortController()
  const server: Server = createServer((socket) => {
    if (sockets.size >= MAX_CONTROL_CONNECTIONS) {
      socket.end(reply({ id: 0, ok: false, error: { name: 'Busy', message: 'too many control connections' } }))
      return
    }
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    serveConnection(socket, handlers, methods, stop.signal)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(path, () => {
      server.off('error', reject)
      resolve()
    })
  })
  await chmod(path, 0o600)
  return {
    path,
    async close() {
      stop.abort()
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const s of sockets) s.destroy()
      await closed
      await removeSocketFile(path)
    },
  }
}

const reply = (r: ControlReply): string => `${JSON.stringify(r)}\n`

function serveConnection(socket: Socket, handlers: ControlHandlers, methods: ControlMethods, stopping: AbortSignal): void {
  const splitter = new LineSplitter()
  const connectionGone = new AbortController()
  const onStop = () => connectionGone.abort()
  stopping.addEventListener('abort', onStop, { once: true })
  socket.once('close', () => {
    stopping.removeEventListener('abort', onStop)
    connectionGone.abort()
  })
  socket.on('error', () => socket.destroy())
  const send = (r: ControlReply) => {
    if (!socket.destroyed) socket.write(reply(r))
  }
  socket.on('data', (chunk: Buffer) => {
    const lines = splitter.push(chunk)
    if (lines === undefined) {
      socket.end(reply({ id: 0, ok: false, error: { name: 'BadRequest', message: 'request line too long' } }))
      return
    }
    for (const line of lines) {
      if (line.trim() === '') continue
      let request: ControlRequest
      try {
        request = parseControlRequest(line, methods)
      } catch (err) {
        const e = err as BadRequestError
        send({ id: e.id, ok: false, error: { name: e.name, message: e.message } })
        continue
      }
      void dispatch(request, handlers, send, connectionGone.signal, () => socket.end())
    }
  })
}

async function dispatch(
  request: ControlRequest, handlers: ControlHandlers, send: (r: ControlReply) => void,
  signal: AbortSignal, endConnection: () => void,
): Promise<void> {
  const { id } = request
  try {
    switch (request.method) {
      case 'status':
        send({ id, ok: true, result: await handlers.status() })
        return
      case 'peers':
        send({ id, ok: true, result: await handlers.peers() })
        return
      case 'topics':
        send({ id, ok: true, result: await handlers.topics() })
        return
      case 'publish':
        send({ id, ok: true, result: await handlers.publish(request.params.topic, request.params.payload, signal) })
        return
      case 'leave':
        send({ id, ok: true, result: { leaving: true } })
        endConnection()
        handlers.leave()
        return
      case 'layer': {
        const { spec, params } = request
        if (spec.run !== undefined) {
          send({ id, ok: true, result: await spec.run(params, signal) })
          return
        }
        const events = spec.stream!(params, signal)
        send({ id, ok: true, result: { method: request.name } })
        for await (const data of events) send({ id, event: spec.event ?? 'event', data })
        endConnection()
        return
      }
      case 'subscribe': {
        const stream = handlers.subscribe(request.params.topic, signal)
        send({ id, ok: true, result: { topic: request.params.topic } })
        for await (const data of stream) send({ id, event: 'message', data })
        endConnection()
        return
      }
    }
  } catch (err) {
    if (signal.aborted) return
    const e = err instanceof Error ? err : new Error(String(err))
    send({ id, ok: false, error: { name: e.name, message: e.message } })
  }
}
