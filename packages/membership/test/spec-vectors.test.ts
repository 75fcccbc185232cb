/**
 * The golden vectors of SPEC.md section 6.5: every message kind's example encodes to the hex written
 * in the specification, and that hex decodes back to the example.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { fromHex, toHex } from '@saorsa-gossip/types'
import { decodeMembershipMessage, encodeMembershipMessage } from '../src/codec.ts'
import { GOLDEN } from './codec-fixtures.ts'

const spec = readFileSync(new URL('../../../SPEC.md', import.meta.url), 'utf8')
const start = spec.indexOf('### 6.5 Golden vectors')
const end = spec.indexOf('\n## 7.', start)
const section = spec.slice(start, end)

/** The hex block that follows the line naming `name` in section 6.5. */
function vectorFor(name: string): string | undefined {
  const at = section.indexOf(`\n${name} (`)
  if (at < 0) return undefined
  const block = /```\n([0-9a-f\n]+)```/.exec(section.slice(at))
  return block?.[1]?.replace(/\n/g, '')
}

describe('SPEC.md section 6 golden vectors', () => {
  it('has a section 6.5 with one vector per message kind', () => {
    expect(start).toBeGreaterThan(0)
    expect(GOLDEN).toHaveLength(13)
  })

  it.each(GOLDEN)('the %s example encodes to the vector in SPEC.md and decodes back', (name, message) => {
    const hex = vectorFor(name)
    expect(hex).toBeDefined()
    expect(toHex(encodeMembershipMessage(message))).toBe(hex)
    expect(decodeMembershipMessage(fromHex(hex!))).toEqual(message)
    expect(section).toContain(`${name} (${hex!.length / 2} bytes)`)
  })
})
