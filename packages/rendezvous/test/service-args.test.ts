import { describe, expect, it } from 'vitest'

import { createRendezvous, parseTarget, targetFromName, type RendezvousComponents } from '../src/index.ts'
import { identity, verify } from './helpers.ts'

function components(): RendezvousComponents {
  return {
    identity: identity(4),
    verify,
    pubsub: { join() {}, leave() {}, publish: async () => undefined, addValidator() {}, removeValidator() {} },
    transport: { handleDirect() {}, unhandle() {}, connectionTo: () => undefined },
  }
}

describe('rendezvous service arguments', () => {
  it('parses targets: 32 bytes, 64 hex digits, or a hashed name; anything else is an InvalidParametersError naming the argument', () => {
    const hex = 'ab'.repeat(32)
    expect(parseTarget(hex, 'target')).toEqual(new Uint8Array(32).fill(0xab))
    expect(parseTarget('site.example', 'target')).toEqual(targetFromName('site.example'))
    expect(() => parseTarget(new Uint8Array(31), 'target')).toThrow(expect.objectContaining({ name: 'InvalidParametersError', message: expect.stringContaining('target:') }))
    expect(() => parseTarget('', 'target')).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
  })

  it('refuses calls before start, bad capabilities, lifetimes, hints and a provider over its target quota', async () => {
    const rendezvous = createRendezvous({ config: { maxPerProvider: 1 } }, components())
    expect(() => rendezvous.provide('x', { capabilities: ['SITE'] })).toThrow(expect.objectContaining({ name: 'NotStartedError' }))
    await rendezvous.start()
    const bad = (options: Parameters<typeof rendezvous.provide>[1], message: string) =>
      expect(() => rendezvous.provide('x', options)).toThrow(expect.objectContaining({ name: 'InvalidParametersError', message: expect.stringContaining(message) }))
    bad({ capabilities: [] }, 'capabilities')
    bad({ capabilities: ['SITE', 'SITE'] }, 'capabilities')
    bad({ capabilities: ['NOPE' as 'SITE'] }, 'capabilities')
    bad({ capabilities: ['SITE'], lifetimeMs: 73 * 3_600_000 }, 'lifetimeMs')
    bad({ capabilities: ['SITE'], addressHints: Array.from({ length: 9 }, () => 'tcp://a:1') }, 'addressHints')
    bad({ capabilities: ['SITE'], bloom: new Uint8Array(1025) }, 'bloom')
    const summary = rendezvous.provide('x', { capabilities: ['SITE'] })
    expect(summary.expiresAtMs - summary.issuedAtMs).toBe(3_600_000)
    expect(rendezvous.providing()).toHaveLength(1)
    expect(() => rendezvous.provide('y', { capabilities: ['SITE'] })).toThrow(expect.objectContaining({ name: 'TooManyTargetsError' }))
    // With no server known and nothing stored, a seek ends at once and empty.
    const found = []
    for await (const p of rendezvous.seek('y')) found.push(p)
    expect(found).toEqual([])
    await expect(rendezvous.seek('y', { signal: AbortSignal.abort() }).next()).rejects.toMatchObject({ name: 'AbortError' })
    await rendezvous.stop()

  })
})
