/**
 * The crdt control methods' parameter checks (SPEC.md 12.8): every refusal is a BadRequest naming the
 * parameter, each type accepts only its own edits, and a well-formed edit parses to exactly its fields.
 */
import { describe, expect, it } from 'vitest'
import { crdtMethods } from '../src/control/methods/crdt.ts'
import type { SaorsaNode } from '../src/node.ts'

const methods = crdtMethods({} as SaorsaNode)
const parse = (method: string, params: Record<string, unknown>) => methods[method]!.parse(params, 7)

describe('crdt control methods', () => {
  it('parse each edit of each type to exactly its fields', () => {
    expect(parse('crdt.edit', { doc: 'd', type: 'map', op: 'set', key: 'k', value: 3 })).toEqual({ doc: 'd', type: 'map', op: 'set', key: 'k', value: 3 })
    expect(parse('crdt.edit', { doc: 'd', type: 'text', op: 'insert', at: 0, text: 'hi' })).toEqual({ doc: 'd', type: 'text', op: 'insert', at: 0, text: 'hi' })
    expect(parse('crdt.edit', { doc: 'd', type: 'counter', op: 'add', by: -2 })).toEqual({ doc: 'd', type: 'counter', op: 'add', by: -2 })
    expect(parse('crdt.get', { doc: 'd' })).toEqual({ doc: 'd' })
  })

  it.each([
    ['crdt.open', { doc: 'd', type: 'tree' }, /params\.type/],
    ['crdt.open', { doc: 'x'.repeat(252), type: 'set' }, /params\.doc/],
    ['crdt.open', { doc: 'd', type: 'set', extra: 1 }, /unknown parameter 'extra'/],
    ['crdt.edit', { doc: 'd', type: 'set', op: 'insert', element: 'a' }, /params\.op must be one of add, remove/],
    ['crdt.edit', { doc: 'd', type: 'map', op: 'set', key: 'k', value: { nested: true } }, /params\.value/],
    ['crdt.edit', { doc: 'd', type: 'map', op: 'set', key: 'k', value: 'v', element: 'e' }, /unknown parameter 'element'/],
    ['crdt.edit', { doc: 'd', type: 'text', op: 'delete', at: -1, length: 1 }, /params\.at/],
    ['crdt.edit', { doc: 'd', type: 'text', op: 'delete', at: 0, length: 0 }, /params\.length/],
    ['crdt.edit', { doc: 'd', type: 'counter', op: 'add', by: 1.5 }, /params\.by/],
    ['crdt.sync', {}, /params\.doc/],
    ['crdt.list', { doc: 'd' }, /unknown parameter 'doc'/],
  ])('%s refuses %j with a BadRequest naming it', (method, params, message) => {
    let error: unknown
    try { parse(method, params) } catch (err) { error = err }
    expect(error).toMatchObject({ name: 'BadRequest', id: 7 })
    expect((error as Error).message).toMatch(message)
  })
})
