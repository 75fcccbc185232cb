import { describe, expect, it } from 'vitest'
import { InvalidParametersError, PeerId } from '@saorsa-gossip/types'
import { CounterDoc, MapDoc, RegisterDoc, SetDoc } from '../src/docs/crdt-docs.ts'
import { TextDoc } from '../src/docs/text-doc.ts'
import type { DocState } from '../src/docs/doc-state.ts'

const self = PeerId.fromPublicKey(new Uint8Array(32).fill(5)).toHex()
const other = PeerId.fromPublicKey(new Uint8Array(32).fill(6)).toHex()

/** Wires two documents so each local delta reaches the other. */
function pair<D extends DocState>(a: D, b: D): void {
  a.onLocal = (p) => { expect(b.apply(p)).toBe(true) }
  b.onLocal = (p) => { expect(a.apply(p)).toBe(true) }
}

describe('document types', () => {
  it('reports local and remote changes to onChange', () => {
    const a = new SetDoc(self)
    const b = new SetDoc(other)
    pair(a, b)
    const seen: boolean[] = []
    b.onChange = (local) => seen.push(local)
    a.add('x')
    b.remove('x')
    expect(seen).toEqual([false, true])
    expect(a.values()).toEqual([])
  })

  it('keeps map keys, register values and counters equal on both sides', () => {
    let clock = 1_000
    const a = new MapDoc(self, () => clock)
    const b = new MapDoc(other, () => clock)
    pair(a, b)
    a.set('k', 'one')
    b.set('k', 2)
    b.set('bytes', new Uint8Array([1, 2]))
    a.delete('bytes')
    clock = 500 // a clock that went backwards still orders after what it has seen
    a.set('k', true)
    expect(b.get('k')).toBe(true)
    expect(a.keys()).toEqual(b.keys())
    expect(a.keys()).toEqual(['k'])
    const r1 = new RegisterDoc(self, () => 7)
    const r2 = new RegisterDoc(other, () => 7)
    pair(r1, r2)
    r1.assign('a')
    r2.assign('b')
    expect(r1.value()).toBe('b')
    const c1 = new CounterDoc(self)
    const c2 = new CounterDoc(other)
    pair(c1, c2)
    c1.add(5)
    c2.add(-7)
    expect([c1.value, c2.value]).toEqual([-2, -2])
  })

  it('rejects bad arguments with InvalidParametersError naming them', () => {
    const set = new SetDoc(self)
    expect(() => set.add('x'.repeat(2_000))).toThrow(InvalidParametersError)
    expect(() => set.add('x'.repeat(2_000))).toThrow(/element/)
    const map = new MapDoc(self, () => 0)
    expect(() => map.set('k', Number.NaN)).toThrow(/value/)
    expect(() => map.set('k', {} as never)).toThrow(InvalidParametersError)
    expect(() => new CounterDoc(self).add(0.5)).toThrow(/by must be a safe integer/)
  })

  it('leaves the state untouched and reports false for a payload of another type or garbage', () => {
    const set = new SetDoc(self)
    const counter = new CounterDoc(self)
    counter.add(1)
    const counterState = counter.snapshot()
    expect(set.apply(counterState)).toBe(false)
    expect(set.apply(new Uint8Array([0xa0]))).toBe(false)
    const text = new TextDoc()
    expect(text.apply(new Uint8Array([9, 1, 2]))).toBe(false)
    expect(text.apply(new Uint8Array([1, 0xff, 0xff, 0xff]))).toBe(false)
    expect(text.toString()).toBe('')
  })

  it('merges text deltas into one v2 payload with the same effect', () => {
    const a = new TextDoc()
    const payloads: Uint8Array[] = []
    a.onLocal = (p) => payloads.push(p)
    for (let i = 0; i < 50; i++) a.insert(i, 'x')
    a.delete(10, 5)
    const merged = a.merge(payloads)
    expect(merged[0]).toBe(2)
    const b = new TextDoc()
    expect(b.apply(merged)).toBe(true)
    expect(b.toString()).toBe(a.toString())
    expect(merged.length).toBeLessThan(payloads.reduce((n, p) => n + p.length, 0) / 4)
  })
})
