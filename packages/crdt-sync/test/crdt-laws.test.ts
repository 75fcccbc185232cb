/**
 * Lattice laws of the delta-state CRDTs (Almeida, Shoker, Baquero, JPDC 2018, section 3): join is
 * commutative, associative and idempotent, and a mutator's delta joined into any state that has seen
 * the mutated state's predecessor gives the same result as joining the whole mutated state.
 * States are built by random histories on three replicas with random partial synchronisation.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { OrSet } from '../src/proto/or-set.ts'
import { LwwMap, type LwwValue } from '../src/proto/lww.ts'
import { Hlc } from '../src/proto/hlc.ts'
import { PnCounter } from '../src/proto/pn-counter.ts'

const REPLICAS = ['00'.repeat(32), '7f'.repeat(32), 'ff'.repeat(32)]
const replicaIndex = fc.integer({ min: 0, max: REPLICAS.length - 1 })

interface Lattice<S> {
  empty(): S
  merge(a: S, b: S): void
  clone(a: S): S
  equals(a: S, b: S): boolean
}

/** Runs `ops` on three replicas; an op either mutates one replica (returning its delta) or merges one into another. */
function history<S, Op>(lattice: Lattice<S>, ops: Array<{ at: number; op: Op } | { from: number; to: number }>,
  mutate: (s: S, replica: number, op: Op, step: number) => S): S[] {
  const states = REPLICAS.map(() => lattice.empty())
  ops.forEach((o, step) => {
    if ('op' in o) mutate(states[o.at]!, o.at, o.op, step)
    else lattice.merge(states[o.to]!, lattice.clone(states[o.from]!))
  })
  return states
}

function laws<S, Op>(name: string, lattice: Lattice<S>, opArb: fc.Arbitrary<Op>, mutate: (s: S, replica: number, op: Op, step: number) => S) {
  const step = fc.oneof(
    fc.record({ at: replicaIndex, op: opArb }),
    fc.record({ from: replicaIndex, to: replicaIndex }),
  )
  const states = fc.array(step, { maxLength: 40 }).map((ops) => history(lattice, ops, mutate))
  const join = (a: S, b: S) => {
    const out = lattice.clone(a)
    lattice.merge(out, lattice.clone(b))
    return out
  }

  describe(`${name} join`, () => {
    it('is commutative, associative and idempotent', () => {
      fc.assert(fc.property(states, ([a, b, c]) => {
        expect(lattice.equals(join(a!, b!), join(b!, a!))).toBe(true)
        expect(lattice.equals(join(join(a!, b!), c!), join(a!, join(b!, c!)))).toBe(true)
        expect(lattice.equals(join(a!, a!), a!)).toBe(true)
      }), { numRuns: 300, seed: 42 })
    })

    it('gives the same state from a mutator delta as from the whole mutated state', () => {
      fc.assert(fc.property(states, opArb, replicaIndex, ([a, b], op, at) => {
        const before = lattice.clone(a!)
        const delta = mutate(a!, at, op, 1_000)
        const observer = join(b!, before)
        expect(lattice.equals(join(observer, delta), join(observer, a!))).toBe(true)
        // And the mutated state itself equals its predecessor joined with the delta.
        expect(lattice.equals(join(before, delta), a!)).toBe(true)
      }), { numRuns: 300, seed: 43 })
    })
  })
}

const element = fc.constantFrom('a', 'b', 'c', 'd')
laws<OrSet, { add: boolean; element: string }>('OR-Set', {
  empty: () => new OrSet(),
  merge: (a, b) => a.merge(b),
  clone: (a) => a.clone(),
  equals: (a, b) => a.equals(b),
}, fc.record({ add: fc.boolean(), element }), (s, at, op) => (op.add ? s.add(REPLICAS[at]!, op.element) : s.remove(op.element)))

const value: fc.Arbitrary<LwwValue | undefined> = fc.oneof(fc.constant(undefined), fc.constant(null), fc.integer(), fc.string({ maxLength: 3 }))
laws<LwwMap, { key: string; wall: number; value: LwwValue | undefined }>('LWW map', {
  empty: () => new LwwMap(),
  merge: (a, b) => a.merge(b),
  clone: (a) => a.clone(),
  equals: (a, b) => a.equals(b),
}, fc.record({ key: element, wall: fc.integer({ min: 0, max: 5 }), value }), (s, at, op, step) => {
  // A fresh clock per write that has observed everything in the state: what a live replica would stamp.
  const hlc = new Hlc(REPLICAS[at]!)
  for (const [, r] of s.registers()) hlc.observe(r.stamp)
  void step
  return s.set(op.key, hlc.now(op.wall), op.value)
})

laws<PnCounter, number>('PN-counter', {
  empty: () => new PnCounter(),
  merge: (a, b) => a.merge(b),
  clone: (a) => a.clone(),
  equals: (a, b) => a.equals(b),
}, fc.integer({ min: -5, max: 5 }), (s, at, by) => s.add(REPLICAS[at]!, by))

describe('OR-Set semantics', () => {
  it('lets a concurrent add win over a remove', () => {
    const a = new OrSet()
    const b = new OrSet()
    b.merge(a.add(REPLICAS[0]!, 'x'))
    const rm = b.remove('x')
    const add = a.add(REPLICAS[0]!, 'x')
    a.merge(rm)
    b.merge(add)
    expect(a.values()).toEqual(['x'])
    expect(b.equals(a)).toBe(true)
  })

  it('never resurrects a removed element when an old add-delta arrives again (reference bug)', () => {
    const a = new OrSet()
    const b = new OrSet()
    const add = a.add(REPLICAS[0]!, 'x')
    b.merge(add.clone())
    const rm = b.remove('x')
    b.merge(add.clone()) // late duplicate of the add
    expect(b.has('x')).toBe(false)
    a.merge(rm)
    a.merge(add.clone())
    expect(a.has('x')).toBe(false)
    const c = new OrSet()
    c.merge(rm.clone()) // a replica that sees the remove before the add
    c.merge(add.clone())
    expect(c.has('x')).toBe(false)
    expect(c.values()).toEqual(a.values())
  })
})

describe('LWW tie-break', () => {
  it('orders writes with equal clocks by writer PeerId bytes, whatever the merge order (reference bug)', () => {
    const stamp = (replica: string) => ({ wall: 1_700_000_000_000, logical: 0, replica })
    const low = new LwwMap()
    const high = new LwwMap()
    const dLow = low.set('k', stamp(REPLICAS[0]!), 'from-00')
    const dHigh = high.set('k', stamp(REPLICAS[2]!), 'from-ff')
    low.merge(dHigh)
    high.merge(dLow)
    expect(low.get('k')).toBe('from-ff')
    expect(high.get('k')).toBe('from-ff')
    // The value plays no part: a smaller value from the larger PeerId still wins.
    const x = new LwwMap()
    x.merge(new LwwMap().set('k', stamp(REPLICAS[1]!), 'zzz'))
    x.merge(new LwwMap().set('k', stamp(REPLICAS[2]!), 'aaa'))
    expect(x.get('k')).toBe('aaa')
  })

  it('orders a write made after seeing another after it, even when the writer clock is behind', () => {
    const fast = new Hlc(REPLICAS[2]!)
    const slow = new Hlc(REPLICAS[0]!)
    const first = fast.now(10_000)
    slow.observe(first)
    const second = slow.now(5_000) // physical clock 5 s behind
    const m = new LwwMap()
    m.merge(new LwwMap().set('k', second, 'second'))
    m.merge(new LwwMap().set('k', first, 'first'))
    expect(m.get('k')).toBe('second')
  })
})
