import { describe, it, expect } from 'vitest'
import { churnScenario } from '../src/scenarios/membership.ts'

describe('HyParView churn (1,000 nodes, 5% leave and 5% join per virtual minute, 30 minutes)', () => {
  it('never has an isolated node or a second component at any 5-second sample', async () => {
    const result = await churnScenario({ seed: 1, nodes: 1_000, minutes: 30 })
    expect(result.left).toBe(1_500)
    expect(result.joined).toBe(1_500)
    expect(result.samples).toBe(360)
    expect(result.maxIsolated).toBe(0)
    expect(result.maxComponents).toBe(1)
    expect(result.check.asymmetricEdges).toBe(0)
  })
})
