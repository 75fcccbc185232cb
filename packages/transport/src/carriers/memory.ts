/**
 * In-memory carrier: isolated in-process address spaces (`mem://name`) whose pipes are pairs of
 * bounded queues. Delivery is asynchronous (one macrotask per batch), writes wait while the peer's
 * unread bytes exceed a high-water mark, and close behaves like TCP FIN (graceful) or RST (with an error).
 */
import { throwIfAborted } from '@saorsa-gossip/types'
import type { AbortOptions, BytePipe, Carrier, CarrierListener } from '../carrier.ts'
import { parseMemoryName } from '../address.ts'
import { DialError, InvalidAddressError } from '../errors.ts'
import { DrainWaiters, closedError } from './waiters.ts'

/** Unread bytes a pipe end buffers before the writer's promise waits (like a socket buffer). */
const HIGH_WATER_MARK = 1024 * 1024

type Reader = { onData(chunk: Uint8Array): void; onEnd(error?: Error): void }

class MemoryPipeEnd implements BytePipe {
  peer!: MemoryPipeEnd
  readonly #inbox: Uint8Array[] = []
  #inboxBytes = 0
  #reader: Reader | undefined
  #paused = false
  #closed = false
  #ended = false
  #remoteEnded = false
  #remoteError: Error | undefined
  #flushScheduled = false
  readonly #drain = new DrainWaiters()
  readonly #onClosed: (end: MemoryPipeEnd) => void

  constructor(readonly localAddr: string, readonly remoteAddr: string, onClosed: (end: MemoryPipeEnd) => void) {
    this.#onClosed = onClosed
  }

  get isOpen(): boolean { return !this.#closed }

  write(chunk: Uint8Array): Promise<void> {
    if (this.#closed || this.peer.#closed) return Promise.reject(closedError())
    this.peer.#enqueue(chunk)
    return this.peer.#inboxBytes <= HIGH_WATER_MARK ? Promise.resolve() : this.#drain.wait()
  }

  setReader(reader: Reader): void {
    if (this.#reader !== undefined) throw new Error('setReader: a reader is already installed')
    this.#reader = reader
    this.#scheduleFlush()
  }

  pause(): void { this.#paused = true }

  resume(): void {
    this.#paused = false
    this.#scheduleFlush()
  }

  close(error?: Error): void {
    if (this.#closed) return
    this.#closed = true
    this.#inbox.length = 0
    this.#inboxBytes = 0
    this.#drain.rejectAll(closedError(error))
    this.peer.#drain.rejectAll(closedError(error))
    this.peer.#remoteClosed(error)
    this.#end(error)
    this.#onClosed(this)
  }

  #enqueue(chunk: Uint8Array): void {
    if (chunk.length === 0) return
    this.#inbox.push(chunk)
    this.#inboxBytes += chunk.length
    this.#scheduleFlush()
  }

  #remoteClosed(error: Error | undefined): void {
    this.#remoteEnded = true
    this.#remoteError = error
    if (error !== undefined) {
      // An abrupt close (reset) discards what was in flight, as a TCP RST does.
      this.#inbox.length = 0
      this.#inboxBytes = 0
    }
    this.#scheduleFlush()
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return
    this.#flushScheduled = true
    setImmediate(() => {
      this.#flushScheduled = false
      this.#flush()
    })
  }

  #flush(): void {
    if (this.#reader === undefined || this.#ended) return
    while (!this.#paused && this.#inbox.length > 0 && !this.#closed) {
      const chunk = this.#inbox.shift()!
      this.#inboxBytes -= chunk.length
      this.#reader.onData(chunk)
    }
    if (this.#inboxBytes <= HIGH_WATER_MARK) this.peer.#drain.resolveAll()
    if (this.#remoteEnded && this.#inbox.length === 0 && !this.#closed) {
      const error = this.#remoteError
      this.#closed = true
      this.#drain.rejectAll(closedError(error))
      this.#end(error === undefined ? undefined : closedError(error))
      this.#onClosed(this)
    }
  }

  #end(error: Error | undefined): void {
    if (this.#ended) return
    this.#ended = true
    const reader = this.#reader
    if (reader === undefined) return
    setImmediate(() => reader.onEnd(error))
  }
}

interface MemoryListenerEntry { readonly onPipe: (pipe: BytePipe) => void; readonly owner: MemoryCarrier }

class MemoryNetworkState {
  readonly listeners = new Map<string, MemoryListenerEntry>()
  readonly openPipes = new Set<MemoryPipeEnd>()
  nextAnonymous = 1
}

class MemoryCarrier implements Carrier {
  readonly scheme = 'mem'
  readonly #net: MemoryNetworkState
  readonly #listeners = new Set<string>()
  readonly #pipes = new Set<MemoryPipeEnd>()

  constructor(net: MemoryNetworkState) { this.#net = net }

  async listen(addr: string, onPipe: (pipe: BytePipe) => void, options?: AbortOptions): Promise<CarrierListener> {
    throwIfAborted(options?.signal)
    const name = parseMemoryName(addr)
    if (this.#net.listeners.has(name)) throw new InvalidAddressError(`mem://${name} is already in use`)
    this.#net.listeners.set(name, { onPipe, owner: this })
    this.#listeners.add(name)
    const net = this.#net
    const listeners = this.#listeners
    return {
      addr: `mem://${name}`,
      async close() {
        if (listeners.delete(name)) net.listeners.delete(name)
      },
    }
  }

  async dial(addr: string, options?: AbortOptions): Promise<BytePipe> {
    throwIfAborted(options?.signal)
    const name = parseMemoryName(addr)
    const entry = this.#net.listeners.get(name)
    if (entry === undefined) throw new DialError(`nothing listens on mem://${name}`)
    const localAddr = `mem://anon-${this.#net.nextAnonymous++}`
    const remoteAddr = `mem://${name}`
    const forget = (end: MemoryPipeEnd): void => {
      this.#pipes.delete(end)
      entry.owner.#pipes.delete(end)
      this.#net.openPipes.delete(end)
    }
    const dialer = new MemoryPipeEnd(localAddr, remoteAddr, forget)
    const acceptor = new MemoryPipeEnd(remoteAddr, localAddr, forget)
    dialer.peer = acceptor
    acceptor.peer = dialer
    for (const end of [dialer, acceptor]) this.#net.openPipes.add(end)
    this.#pipes.add(dialer)
    entry.owner.#pipes.add(acceptor)
    entry.onPipe(acceptor)
    return dialer
  }

  async close(): Promise<void> {
    for (const name of this.#listeners) this.#net.listeners.delete(name)
    this.#listeners.clear()
    for (const pipe of [...this.#pipes]) pipe.close()
    this.#pipes.clear()
  }
}

export interface MemoryNetwork {
  /** A carrier attached to this network; carriers of one network reach each other's `mem://` names. */
  carrier(): Carrier
  /** Open pipe ends and bound names, for leak checks in tests. */
  stats(): { listeners: number; openPipes: number }
}

/** Creates an isolated in-process address space for `mem://name` addresses. */
export function createMemoryNetwork(): MemoryNetwork {
  const net = new MemoryNetworkState()
  return {
    carrier: () => new MemoryCarrier(net),
    stats: () => ({ listeners: net.listeners.size, openPipes: [...net.openPipes].filter((p) => p.isOpen).length }),
  }
}
