/**
 * Control-socket client used by the CLI commands other than `network join`. A missing or dead
 * socket becomes `NoNodeRunningError` with a message that says how to start a node.
 */
import { createConnection, type Socket } from 'node:net'
import { AbortError } from '@saorsa-gossip/types'
import { ControlRequestError, NoNodeRunningError } from '../errors.ts'
import { LineSplitter, formatControlRequest, type ControlReply } from './protocol.ts'

export interface ControlCallOptions {
  signal?: AbortSignal
}

function connect(path: string, signal?: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(new AbortError())
      return
    }
    const socket = createConnection(path)
    const onAbort = () => {
      socket.destroy()
      reject(new AbortError())
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    socket.once('connect', () => {
      signal?.removeEventListener('abort', onAbort)
      socket.removeAllListeners('error')
      resolve(socket)
    })
    socket.once('error', (err: NodeJS.ErrnoException) => {
      signal?.removeEventListener('abort', onAbort)
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED' || err.code === 'ENOTSOCK') {
        reject(new NoNodeRunningError(`no node is running (no live control socket at ${path}); start one with 'saorsa-gossip network join'`))
      } else {
        reject(err)
      }
    })
  })
}

/**
 * Opens a connection, sends one request and yields every reply line for it: the first is the
 * response, later ones (streaming methods) are events. Ends when the node closes the connection.
 */
async function* exchange(path: string, method: string, params: Record<string, unknown>, signal?: AbortSignal): AsyncGenerator<ControlReply> {
  const socket = await connect(path, signal)
  const splitter = new LineSplitter()
  const queue: ControlReply[] = []
  let ended = false
  let failure: Error | undefined
  let wake: (() => void) | undefined
  const notify = () => {
    wake?.()
    wake = undefined
  }
  socket.on('data', (chunk: Buffer) => {
    const lines = splitter.push(chunk)
    if (lines === undefined) {
      failure = new ControlRequestError('BadReply', 'reply line too long')
      socket.destroy()
    } else {
      for (const line of lines) {
        try {
          queue.push(JSON.parse(line) as ControlReply)
        } catch {
          failure = new ControlRequestError('BadReply', 'reply is not valid JSON')
          socket.destroy()
        }
      }
    }
    notify()
  })
  socket.on('error', (err) => {
    failure ??= err
    notify()
  })
  socket.on('close', () => {
    ended = true
    notify()
  })
  const onAbort = () => {
    failure ??= new AbortError()
    socket.destroy()
  }
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    socket.write(formatControlRequest(1, method, params))
    for (;;) {
      const next = queue.shift()
      if (next !== undefined) {
        yield next
        continue
      }
      if (failure !== undefined) throw failure
      if (ended) return
      await new Promise<void>((resolve) => {
        wake = resolve
      })
    }
  } finally {
    signal?.removeEventListener('abort', onAbort)
    socket.destroy()
  }
}

function unwrap(reply: ControlReply): unknown {
  if ('ok' in reply) {
    if (reply.ok) return reply.result
    throw new ControlRequestError(reply.error.name, reply.error.message)
  }
  throw new ControlRequestError('BadReply', 'expected a response, got an event')
}

/** Sends one request and resolves with its result. */
export async function controlRequest(path: string, method: string, params: Record<string, unknown> = {}, options: ControlCallOptions = {}): Promise<unknown> {
  for await (const reply of exchange(path, method, params, options.signal)) return unwrap(reply)
  throw new ControlRequestError('BadReply', 'the node closed the connection without replying')
}

/** Sends a streaming request and yields the `data` of every event until the node or `signal` ends it. */
export async function* controlStream(path: string, method: string, params: Record<string, unknown> = {}, options: ControlCallOptions = {}): AsyncGenerator<unknown> {
  let first = true
  try {
    for await (const reply of exchange(path, method, params, options.signal)) {
      if (first) {
        unwrap(reply)
        first = false
        continue
      }
      if ('event' in reply) yield reply.data
    }
  } catch (err) {
    if (err instanceof AbortError && options.signal?.aborted === true) return
    throw err
  }
}
