/**
 * Parameter checks shared by the layer control methods (SPEC.md section 8.1.1): every check names the
 * parameter it refuses, so a CLI user (or a script speaking the socket) sees what was wrong.
 */
import { BadRequestError } from '../protocol.ts'

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

export function exactKeys(params: Readonly<Record<string, unknown>>, allowed: readonly string[], id: number): void {
  for (const key of Object.keys(params)) {
    if (!allowed.includes(key)) throw new BadRequestError(`unknown parameter '${key}'`, id)
  }
}

export function stringParam(params: Readonly<Record<string, unknown>>, name: string, id: number, maxBytes: number, optional = false): string | undefined {
  const v = params[name]
  if (v === undefined && optional) return undefined
  if (typeof v !== 'string' || v.length === 0 || Buffer.byteLength(v, 'utf8') > maxBytes) {
    throw new BadRequestError(`params.${name} must be a string of 1..${maxBytes} bytes`, id)
  }
  return v
}

export function hexParam(params: Readonly<Record<string, unknown>>, name: string, id: number, bytes: number, optional = false): string | undefined {
  const v = params[name]
  if (v === undefined && optional) return undefined
  if (typeof v !== 'string' || v.length !== bytes * 2 || !/^[0-9a-f]*$/.test(v)) {
    throw new BadRequestError(`params.${name} must be ${bytes * 2} lower-case hex digits`, id)
  }
  return v
}

export function intParam(params: Readonly<Record<string, unknown>>, name: string, id: number, min: number, max: number, optional = false): number | undefined {
  const v = params[name]
  if (v === undefined && optional) return undefined
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new BadRequestError(`params.${name} must be an integer in ${min}..${max}`, id)
  }
  return v
}

export function boolParam(params: Readonly<Record<string, unknown>>, name: string, id: number): boolean | undefined {
  const v = params[name]
  if (v === undefined) return undefined
  if (typeof v !== 'boolean') throw new BadRequestError(`params.${name} must be true or false`, id)
  return v
}

/** Bytes travel as base64 (the client encodes every Uint8Array parameter so). */
export function bytesParam(params: Readonly<Record<string, unknown>>, name: string, id: number, maxBytes: number, optional = false): Uint8Array | undefined {
  const v = params[name]
  if (v === undefined && optional) return undefined
  if (typeof v !== 'string' || !BASE64.test(v) || v.length % 4 !== 0 || (v.length / 4) * 3 > maxBytes + 2) {
    throw new BadRequestError(`params.${name} must be base64 of at most ${maxBytes} bytes`, id)
  }
  const bytes = new Uint8Array(Buffer.from(v, 'base64'))
  if (bytes.length > maxBytes) throw new BadRequestError(`params.${name} must be base64 of at most ${maxBytes} bytes`, id)
  return bytes
}

export function stringListParam(params: Readonly<Record<string, unknown>>, name: string, id: number, maxItems: number, maxBytes: number): string[] | undefined {
  const v = params[name]
  if (v === undefined) return undefined
  if (!Array.isArray(v) || v.length > maxItems || v.some((s) => typeof s !== 'string' || s.length === 0 || Buffer.byteLength(s) > maxBytes)) {
    throw new BadRequestError(`params.${name} must be a list of at most ${maxItems} strings of 1..${maxBytes} bytes`, id)
  }
  return v as string[]
}
