import { describe, it, expect } from 'vitest'
import { readFileSync } from 'node:fs'
import { PeerId, fromHex, toHex } from '@saorsa-gossip/types'
import {
  MAX_PEER_CACHE_ENTRIES, MAX_PEER_CACHE_FILE_BYTES, PEER_CACHE_MAX_FAILURES, decodePeerCache, encodePeerCache,
} from '../src/config/peer-cache.ts'
import { MAX_CONTROL_CONNECTIONS, MAX_CONTROL_LINE_BYTES } from '../src/control/protocol.ts'
import { MAX_CONFIG_FILE_BYTES } from '../src/config/node-config.ts'

const spec = readFileSync(new URL('../../../SPEC.md', import.meta.url), 'utf8')
const section = spec.slice(spec.indexOf('## 8. Node'))
const fmt = (n: number) => n.toLocaleString('en-US')

describe('SPEC.md section 8', () => {
  it('carries the peer cache golden vector that the encoder produces', () => {
    const block = /Golden vector:[\s\S]*?```\n([0-9a-f\n]+)```/.exec(section)
    expect(block).not.toBeNull()
    const hex = block![1]!.replace(/\n/g, '')
    const entry = { peerId: PeerId.fromBytes(Uint8Array.from({ length: 32 }, (_, i) => i)), addrs: ['tcp://127.0.0.1:7000'], lastSuccessMs: 1767225600000, failures: 0 }
    expect(hex).toBe(toHex(encodePeerCache([entry])))
    expect(decodePeerCache(fromHex(hex))[0]?.lastSuccessMs).toBe(entry.lastSuccessMs)
  })

  it('states the caps the code enforces', () => {
    for (const n of [MAX_CONTROL_LINE_BYTES, MAX_PEER_CACHE_FILE_BYTES, MAX_CONFIG_FILE_BYTES]) expect(section).toContain(`**${fmt(n)} bytes**`)
    expect(section).toContain(`at most **${MAX_CONTROL_CONNECTIONS}** connections`)
    expect(section).toContain(`at most **${MAX_PEER_CACHE_ENTRIES}** entries`)
    expect(section).toContain(`after **${PEER_CACHE_MAX_FAILURES}** consecutive failed dials`)
  })
})
