import { describe, expect, it } from 'vitest'
import {
  AbortError, DecodeError, InvalidParametersError, NotStartedError, SaorsaError, TimeoutError, throwIfAborted,
} from '../src/errors.ts'

describe('error classes', () => {
  it('set name on every instance and extend SaorsaError and Error', () => {
    const cases: Array<[Error, string]> = [
      [new SaorsaError('x'), 'SaorsaError'],
      [new DecodeError('x'), 'DecodeError'],
      [new InvalidParametersError('x'), 'InvalidParametersError'],
      [new AbortError(), 'AbortError'],
      [new TimeoutError('x'), 'TimeoutError'],
      [new NotStartedError('x'), 'NotStartedError'],
    ]
    for (const [err, name] of cases) {
      expect(err.name).toBe(name)
      expect(err).toBeInstanceOf(SaorsaError)
      expect(err).toBeInstanceOf(Error)
      expect(String(err)).toContain(name)
    }
  })

  it('DecodeError prefixes the message with the field path and keeps the path', () => {
    const err = new DecodeError('expected bytes', 'msg.ids[3]')
    expect(err.path).toBe('msg.ids[3]')
    expect(err.message).toBe('msg.ids[3]: expected bytes')
    const whole = new DecodeError('empty input')
    expect(whole.path).toBe('')
    expect(whole.message).toBe('empty input')
  })

  it('AbortError has a default message and keeps a cause', () => {
    const cause = new Error('inner')
    expect(new AbortError().message).toBe('The operation was aborted')
    expect(new AbortError('stop', { cause }).cause).toBe(cause)
  })
})

describe('throwIfAborted', () => {
  it('does nothing for an absent or live signal', () => {
    expect(() => throwIfAborted(undefined)).not.toThrow()
    expect(() => throwIfAborted(new AbortController().signal)).not.toThrow()
  })

  it('throws AbortError carrying the signal reason as cause', () => {
    const controller = new AbortController()
    const reason = new Error('shutting down')
    controller.abort(reason)
    let caught: unknown
    try {
      throwIfAborted(controller.signal)
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(AbortError)
    expect((caught as AbortError).name).toBe('AbortError')
    expect((caught as AbortError).cause).toBe(reason)
  })

  it('carries a non-Error reason too', () => {
    expect(() => throwIfAborted(AbortSignal.abort('bye'))).toThrow(expect.objectContaining({ name: 'AbortError', cause: 'bye' }))
  })
})
