/**
 * The packing of a batch of ML-DSA-65 verification requests into one transferable buffer, shared by
 * the verification pool and its workers. Packing copies only the bytes that are checked: a view
 * posted as it is would clone its whole backing buffer (a received record, often many kilobytes).
 * Layout: u32 count, then per request u32 key, message and signature lengths and the three byte strings.
 */

export interface VerifyRequest {
  readonly publicKey: Uint8Array
  readonly message: Uint8Array
  readonly signature: Uint8Array
}

/** One packed batch's size cap: far above a batch of 64 requests of 1 KiB messages (about 0.4 MB). */
export const MAX_BATCH_BYTES = 64 * 1024 * 1024

export function packBatch(requests: readonly VerifyRequest[]): ArrayBuffer {
  let size = 4
  for (const r of requests) size += 12 + r.publicKey.length + r.message.length + r.signature.length
  const buffer = new ArrayBuffer(size)
  const view = new DataView(buffer)
  const bytes = new Uint8Array(buffer)
  view.setUint32(0, requests.length)
  let offset = 4
  for (const r of requests) {
    view.setUint32(offset, r.publicKey.length)
    view.setUint32(offset + 4, r.message.length)
    view.setUint32(offset + 8, r.signature.length)
    offset += 12
    for (const part of [r.publicKey, r.message, r.signature]) {
      bytes.set(part, offset)
      offset += part.length
    }
  }
  return buffer
}

/** Unpacks a batch; a buffer that does not hold exactly what its lengths say throws RangeError. */
export function unpackBatch(buffer: ArrayBuffer): VerifyRequest[] {
  if (buffer.byteLength < 4 || buffer.byteLength > MAX_BATCH_BYTES) throw new RangeError('batch: bad size')
  const view = new DataView(buffer)
  const count = view.getUint32(0)
  // Every request needs at least its 12 bytes of lengths: checked before the array is allocated.
  if (count > (buffer.byteLength - 4) / 12) throw new RangeError('batch: count exceeds the buffer')
  const requests: VerifyRequest[] = []
  let offset = 4
  for (let i = 0; i < count; i++) {
    if (offset + 12 > buffer.byteLength) throw new RangeError('batch: truncated lengths')
    const lengths = [view.getUint32(offset), view.getUint32(offset + 4), view.getUint32(offset + 8)]
    offset += 12
    const parts: Uint8Array[] = []
    for (const length of lengths) {
      if (offset + length! > buffer.byteLength) throw new RangeError('batch: truncated bytes')
      parts.push(new Uint8Array(buffer, offset, length))
      offset += length!
    }
    requests.push({ publicKey: parts[0]!, message: parts[1]!, signature: parts[2]! })
  }
  if (offset !== buffer.byteLength) throw new RangeError('batch: trailing bytes')
  return requests
}
