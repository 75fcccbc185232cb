import { describe, expect, it } from 'vitest'
import { MessageId, SeededRng, toHex } from '@saorsa-gossip/types'
import { Iblt } from '../src/proto/iblt.ts'
import { buildSketch, diffSketch } from '../src/proto/anti-entropy.ts'

const randomIds = (rng: SeededRng, n: number) => Array.from({ length: n }, () => rng.fill(new Uint8Array(32)))

function trial(rng: SeededRng, cells: number, common: number, onlyA: number, onlyB: number): boolean {
  const shared = randomIds(rng, common)
  const a = randomIds(rng, onlyA)
  const b = randomIds(rng, onlyB)
  const ta = new Iblt(cells)
  const tb = new Iblt(cells)
  for (const k of [...shared, ...a]) ta.insert(k)
  for (const k of [...shared, ...b]) tb.insert(k)
  const diff = Iblt.fromBytes(ta.toBytes()).subtract(tb).decode()
  if (!diff.ok) return false
  expect(diff.onlyLeft.map(toHex).sort()).toEqual(a.map(toHex).sort())
  expect(diff.onlyRight.map(toHex).sort()).toEqual(b.map(toHex).sort())
  return true
}

describe('IBLT set reconciliation', () => {
  it('recovers every difference exactly, whatever the size of the common part', () => {
    const rng = new SeededRng(1)
    expect(trial(rng, 96, 5_000, 10, 10)).toBe(true)
    expect(trial(rng, 96, 0, 0, 0)).toBe(true)
  })

  it.each([
    // [differences, cells, minimum decode success over 200 trials]
    [20, 96, 0.99],
    [40, 96, 0.9],
    [50, 96, 0.8],
  ])('decodes %d differences in %d cells at least at the stated rate', (d, cells, minRate) => {
    const rng = new SeededRng(`rate-${d}`)
    let ok = 0
    for (let i = 0; i < 200; i++) if (trial(rng, cells, 100, Math.floor(d / 2), d - Math.floor(d / 2))) ok++
    expect(ok / 200).toBeGreaterThanOrEqual(minRate)
  })

  it('reports failure instead of wrong answers when the difference is far too large', () => {
    const rng = new SeededRng(3)
    let failures = 0
    for (let i = 0; i < 50; i++) if (!trial(rng, 96, 10, 200, 200)) failures++
    expect(failures).toBe(50)
  })

  it('only offers ids the receiver really holds, whatever a hostile sketch peels into', () => {
    const rng = new SeededRng(4)
    const bogus = rng.fill(new Uint8Array(96 * 40))
    const ours = randomIds(rng, 3).map((b) => MessageId.fromBytes(b))
    const diff = diffSketch(bogus, ours, () => false)
    if (diff.ok) expect(diff.weHave).toEqual([])
    const honest = diffSketch(buildSketch(ours.slice(0, 2), 96), ours, () => true)
    expect(honest).toEqual({ ok: true, theyHave: [], weHave: [ours[2]] })
  })

  it('rejects sizes that are not a multiple of three cells', () => {
    expect(() => new Iblt(10)).toThrow(RangeError)
    expect(() => Iblt.fromBytes(new Uint8Array(41))).toThrow(RangeError)
  })
})

describe('anti-entropy with large differences', () => {
  it('answers a sketch that does not peel with one four times larger, and past the largest with every id it holds', async () => {
    const { makeNode, connect, sends, TOPIC } = await import('./helpers.ts')
    const a = makeNode(1)
    const [b, origin] = [makeNode(2), makeNode(3)]
    connect(a, [b])
    // a holds 2,500 messages b has none of: far more than 96, 384 or even 1,536 cells peel.
    for (let i = 0; i < 2_500; i++) {
      a.core.handle({ type: 'command', command: { type: 'publish', topic: TOPIC, message: origin.publisher.build(TOPIC, new Uint8Array([i & 0xff, i >> 8]), 0), requestId: i } }, 1, [])
    }
    const answers = (cells: number) => {
      const out: Parameters<typeof sends>[0] = []
      a.core.handle({ type: 'recv', from: b.id, msg: { type: 'sketch', topic: TOPIC, count: 0, cells: buildSketch([], cells) } }, 2, out)
      return sends(out)
    }
    const first = answers(96)
    expect(first.map((s) => s.msg.type === 'sketch' && s.msg.cells.length / 40)).toEqual([384])
    expect(answers(384).map((s) => s.msg.type === 'sketch' && s.msg.cells.length / 40)).toEqual([1_536])
    const lists = answers(1_536)
    expect(lists.map((s) => s.msg.type)).toEqual(['have', 'have', 'have'])
    const listed = new Set(lists.flatMap((s) => (s.msg.type === 'have' ? s.msg.ids.map((id) => id.toHex()) : [])))
    expect(listed.size).toBe(2_500)
  })
})
