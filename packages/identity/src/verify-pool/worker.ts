/**
 * The body of one verification worker thread: loads the fast ML-DSA-65 backend (liboqs, noble if it
 * cannot load) once, then answers each packed batch (`batch.ts`) with one byte per request, 1 for a
 * valid signature, in request order. A batch it cannot unpack is answered with an error instead.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { loadMlDsa65Backend } from '../fast-backend.ts'
import { unpackBatch } from './batch.ts'

export interface BatchMessage { readonly batch: number; readonly buffer: ArrayBuffer }
export type ResultMessage =
  | { readonly batch: number; readonly results: Uint8Array }
  | { readonly batch: number; readonly error: string }

const port = parentPort
if (port === null) throw new Error('verify-pool worker: must run in a worker thread')
const prefer = (workerData as { prefer?: 'fast' | 'noble' } | undefined)?.prefer ?? 'fast'
const backend = await loadMlDsa65Backend({ prefer })

port.on('message', ({ batch, buffer }: BatchMessage) => {
  let requests
  try {
    requests = unpackBatch(buffer)
  } catch (err) {
    port.postMessage({ batch, error: (err as Error).message } satisfies ResultMessage)
    return
  }
  const results = new Uint8Array(requests.length)
  for (let i = 0; i < requests.length; i++) {
    const { publicKey, message, signature } = requests[i]!
    results[i] = backend.verify(publicKey, message, signature) ? 1 : 0
  }
  port.postMessage({ batch, results } satisfies ResultMessage, [results.buffer])
})
