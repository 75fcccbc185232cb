/**
 * A SecureConnection over a fake pipe with fixed traffic keys, for tests that must speak raw frames:
 * `feed` seals a plaintext as the remote would, `sent()` opens and parses everything the connection wrote.
 */
import { Identity } from '@saorsa-gossip/identity'
import type { BytePipe } from '../src/carrier.ts'
import type { Aead } from '../src/channel/aead.ts'
import { PipeInbox } from '../src/channel/pipe-inbox.ts'
import { DEFAULT_REKEY, RecordOpener, RecordSealer } from '../src/channel/records.ts'
import { SecureConnection } from '../src/connection.ts'
import { parseFrames } from '../src/frames.ts'
import type { ProtocolRoutes } from '../src/routes.ts'
import type { MemoryBudget } from '../src/streams/budget.ts'
import type { DropReason } from '../src/types.ts'

const REMOTE = Identity.generate({ seed: new Uint8Array(32).fill(77) })
const RECEIVE_KEY = new Uint8Array(32).fill(7)
const SEND_KEY = new Uint8Array(32).fill(8)

export interface LiveConnection {
  readonly conn: SecureConnection
  feed(plaintext: Uint8Array): void
  /** Undefined after an orderly close, null while open. */
  closeError(): Error | undefined | null
  /** Frames written so far, as `[kind, body]`. */
  sent(): Array<[number, Uint8Array]>
}

export function liveConnection(aead: Aead, routes: ProtocolRoutes, budget: MemoryBudget, onDrop: (reason: DropReason) => void = () => {}): LiveConnection {
  let reader: { onData(chunk: Uint8Array): void } | undefined
  let ended: Error | undefined | null = null
  const written: Uint8Array[] = []
  const pipe: BytePipe = {
    localAddr: 'mem://live-local', remoteAddr: 'mem://live-remote',
    write: (chunk) => { written.push(chunk); return Promise.resolve() },
    setReader: (r) => { reader = r }, pause() {}, resume() {}, close() {},
  }
  const inbox = new PipeInbox(pipe)
  const conn = new SecureConnection({
    id: 'live', direction: 'inbound', pipe, inbox, aead, rekey: DEFAULT_REKEY, highWaterMark: 1 << 20, maxPendingHandlers: 16,
    handshake: {
      version: 2, remotePublicKey: REMOTE.publicKey, remotePeer: REMOTE.peerId, observedAddr: 'mem://live-local',
      sendKey: SEND_KEY.slice(), receiveKey: RECEIVE_KEY.slice(), transcriptHash: new Uint8Array(32),
    },
    routes, budget, onDrop, onInvalid() {}, onViolation() {}, onClosed: (_c, error) => { ended = error },
  })
  conn.start()
  const sealer = new RecordSealer(aead, RECEIVE_KEY.slice(), DEFAULT_REKEY)
  const opener = new RecordOpener(aead, SEND_KEY.slice())
  const frames: Array<[number, Uint8Array]> = []
  return {
    conn,
    feed: (plaintext) => reader!.onData(sealer.seal([plaintext])),
    closeError: () => ended,
    sent: () => {
      for (const chunk of written.splice(0)) opener.push(chunk, (p) => parseFrames(p, (kind, body) => frames.push([kind, body.slice()])))
      return frames
    },
  }
}
