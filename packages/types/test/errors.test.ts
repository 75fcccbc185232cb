import { describe, expect, it } from 'vitest'
import {
  AbortError, DecodeError, InvalidParametersError, NotStartedError, SaorsaError, TimeoutError, raceAbort, throwIfAborted,
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

describe('raceAbort', () => {
  it('settles like the promise when the signal never fires, and removes its listener', async () => {
    const controller = new AbortController()
    let listeners = 0
    const signal = controller.signal
    const add = signal.addEventListener.bind(signal)
    const remove = signal.removeEventListener.bind(signal)
    signal.addEventListener = ((...args: Parameters<typeof add>) => { listeners++; add(...args) }) as typeof add
    signal.removeEventListener = ((...args: Parameters<typeof remove>) => { listeners--; remove(...args) }) as typeof remove
    await expect(raceAbort(Promise.resolve(7), signal)).resolves.toBe(7)
    await expect(raceAbort(Promise.reject(new Error('boom')), signal)).rejects.toThrow('boom')
    expect(listeners).toBe(0)
  })

  it('rejects with AbortError carrying the reason when the signal fires first', async () => {
    const controller = new AbortController()
    const pending = raceAbort(new Promise<never>(() => {}), controller.signal)
    controller.abort('stop')
    await expect(pending).rejects.toMatchObject({ name: 'AbortError', cause: 'stop' })
  })

  it('rejects at once for a signal that has already fired', async () => {
    await expect(raceAbort(new Promise<never>(() => {}), AbortSignal.abort('late'))).rejects.toMatchObject({ name: 'AbortError', cause: 'late' })
  })

  it('passes the promise through without a signal', async () => {
    const p = Promise.resolve('x')
    expect(raceAbort(p, undefined)).toBe(p)
  })
})
