/**
 * Runs the handshake state machines (handshake.ts) over a carrier pipe with a deadline and an
 * AbortSignal, closing the pipe on any failure. The result carries the authenticated peer, the
 * traffic keys and the PipeInbox that then feeds the connection's record layer.
 */
import { AbortError, SaorsaError, TimeoutError, type PeerId } from '@saorsa-gossip/types'
import type { BytePipe } from '../carrier.ts'
import { HandshakeError, PeerMismatchError } from '../errors.ts'
import { InitiatorHandshake, ResponderHandshake, type HandshakeInit, type HandshakeResult } from './handshake.ts'
import { lengthPrefixed, PipeInbox } from './pipe-inbox.ts'

export interface SecurePipeOptions {
  readonly timeoutMs: number
  readonly signal?: AbortSignal | undefined
  /** Initiator only: fail with PeerMismatchError (before revealing our identity) unless the responder is this peer. */
  readonly expectedPeer?: PeerId | undefined
  /**
   * Responder only: runs once M1 has arrived and before any KEM or signature work; it may wait (for
   * a handshake token) or throw to refuse the handshake without spending that work.
   */
  readonly beforeCrypto?: ((m1: Uint8Array, signal: AbortSignal) => Promise<void> | void) | undefined
}

export interface SecuredPipe { readonly result: HandshakeResult; readonly inbox: PipeInbox }

async function guarded(pipe: BytePipe, inbox: PipeInbox, options: SecurePipeOptions,
  body: (deadline: AbortSignal) => Promise<HandshakeResult>): Promise<SecuredPipe> {
  const { signal } = options
  // Aborted by the caller's signal or the deadline: fails a pending read or a wait for a handshake token.
  const deadline = new AbortController()
  const stop = (error: Error): void => {
    inbox.abort(error)
    deadline.abort(error)
  }
  const onAbort = (): void => {
    const reason: unknown = signal?.reason
    // The transport's own typed reasons (first-message deadline, eviction) pass through; anything else is an abort.
    stop(reason instanceof SaorsaError && reason.name !== 'AbortError' ? reason : new AbortError(undefined, { cause: reason }))
  }
  const timer = setTimeout(() => stop(new TimeoutError(`handshake did not finish within ${options.timeoutMs} ms`)), options.timeoutMs)
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    if (signal?.aborted === true) throw new AbortError(undefined, { cause: signal.reason })
    return { result: await body(deadline.signal), inbox }
  } catch (error) {
    const failure = error instanceof Error && error.name !== 'Error' ? error
      : new HandshakeError(`handshake failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
    pipe.close(failure)
    throw failure
  } finally {
    clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
  }
}

export function secureOutbound(pipe: BytePipe, init: HandshakeInit, options: SecurePipeOptions): Promise<SecuredPipe> {
  const inbox = new PipeInbox(pipe)
  return guarded(pipe, inbox, options, async () => {
    const hs = new InitiatorHandshake(init)
    let result: HandshakeResult | undefined
    try {
      await pipe.write(lengthPrefixed(hs.start()))
      const m2 = await inbox.next()
      const step = hs.onM2(m2, pipe.remoteAddr)
      result = step.result
      if (options.expectedPeer !== undefined && !options.expectedPeer.equals(result.remotePeer)) {
        throw new PeerMismatchError(`expected peer ${options.expectedPeer.toShortString()}, authenticated ${result.remotePeer.toShortString()}`)
      }
      await pipe.write(lengthPrefixed(step.m3))
      return result
    } catch (error) {
      hs.dispose()
      result?.sendKey.fill(0)
      result?.receiveKey.fill(0)
      throw error
    }
  })
}

export function secureInbound(pipe: BytePipe, init: HandshakeInit, options: SecurePipeOptions): Promise<SecuredPipe> {
  const inbox = new PipeInbox(pipe)
  return guarded(pipe, inbox, options, async (deadline) => {
    const hs = new ResponderHandshake(init)
    try {
      const m1 = await inbox.next()
      await options.beforeCrypto?.(m1, deadline)
      await pipe.write(lengthPrefixed(hs.onM1(m1, pipe.remoteAddr)))
      const m3 = await inbox.next()
      return hs.onM3(m3)
    } catch (error) {
      hs.dispose()
      throw error
    }
  })
}
