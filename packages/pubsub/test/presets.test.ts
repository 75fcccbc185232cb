import { describe, expect, it } from 'vitest'
import { PUBSUB_LAN, PUBSUB_LOCAL, PUBSUB_WAN } from '../src/proto/presets.ts'
import { DEFAULT_CONFIG, resolveConfig } from '../src/proto/config.ts'

describe('pubsub presets', () => {
  it.each([['LAN', PUBSUB_LAN], ['WAN', PUBSUB_WAN], ['LOCAL', PUBSUB_LOCAL]] as const)('%s passes the config checks and is frozen', (_name, preset) => {
    expect(resolveConfig(preset)).toEqual(preset)
    expect(Object.isFrozen(preset)).toBe(true)
  })

  it('orders the round-trip timers LOCAL < LAN < WAN and leaves caches, limits and scoring alone', () => {
    for (const key of ['graftTimeout1Ms', 'graftTimeout2Ms', 'ihaveFlushMs', 'keyRequestTimeoutMs'] as const) {
      expect(PUBSUB_LOCAL[key]).toBeLessThan(PUBSUB_LAN[key])
      expect(PUBSUB_LAN[key]).toBeLessThan(PUBSUB_WAN[key])
    }
    for (const preset of [PUBSUB_LOCAL, PUBSUB_WAN]) {
      for (const key of ['messageCacheMs', 'seenMs', 'publishRatePerSecond', 'maxPendingValidations', 'score'] as const) {
        expect(preset[key]).toEqual(DEFAULT_CONFIG[key])
      }
    }
  })
})
