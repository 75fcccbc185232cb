import { describe, expect, it } from 'vitest'
import { DecodeError } from '../src/errors.ts'
import { MessageId, PeerId, TopicId } from '../src/ids.ts'
import * as s from '../src/schema.ts'

/** Runs `check` and returns the DecodeError it throws (failing the test if it throws anything else or nothing). */
function rejection(check: () => unknown): DecodeError {
  try {
    check()
  } catch (err) {
    expect(err).toBeInstanceOf(DecodeError)
    return err as DecodeError
  }
  throw new Error('expected a DecodeError')
}

describe('uint', () => {
  it('accepts safe integers in range, including integral floats', () => {
    expect(s.uint()(0, 'n')).toBe(0)
    expect(s.uint()(2 ** 40, 'n')).toBe(2 ** 40)
    expect(s.uint({ min: 2, max: 5 })(5, 'n')).toBe(5)
  })

  it('rejects fractions, negatives, out-of-range, bigint and non-numbers with the path', () => {
    expect(rejection(() => s.uint()(1.5, 'a.n')).path).toBe('a.n')
    expect(rejection(() => s.uint()(-1, 'n')).message).toBe('n: integer -1 outside [0, 9007199254740991]')
    expect(rejection(() => s.uint({ max: 5 })(6, 'n')).message).toContain('outside [0, 5]')
    expect(rejection(() => s.uint({ min: 2 })(1, 'n')).message).toContain('outside [2,')
    expect(rejection(() => s.uint()(2 ** 53, 'n')).message).toContain('expected integer, got number')
    expect(rejection(() => s.uint()(1n, 'n')).message).toContain('got bigint')
    expect(rejection(() => s.uint()('1', 'n')).message).toContain('got string')
  })
})

describe('bytes', () => {
  it('returns a plain copy that does not alias the input', () => {
    const backing = Buffer.from([9, 1, 2, 3, 9])
    const view = backing.subarray(1, 4)
    const out = s.bytes({ max: 8 })(view, 'b')
    expect(out.constructor).toBe(Uint8Array)
    expect(out).toEqual(new Uint8Array([1, 2, 3]))
    backing[1] = 0
    expect(out[0]).toBe(1)
  })

  it('enforces exact length, min and max and names the path', () => {
    expect(rejection(() => s.bytes({ length: 4 })(new Uint8Array(3), 'x.k')).message).toBe('x.k: expected 4 bytes, got 3')
    expect(rejection(() => s.bytes({ max: 2 })(new Uint8Array(3), 'b')).message).toContain('outside [0, 2]')
    expect(rejection(() => s.bytes({ min: 1, max: 2 })(new Uint8Array(0), 'b')).message).toContain('outside [1, 2]')
    expect(rejection(() => s.bytes({ max: 2 })([1, 2], 'b')).message).toContain('expected bytes, got array')
  })

  it('refuses to build an uncapped byte schema', () => {
    expect(() => s.bytes({})).toThrow(TypeError)
  })
})

describe('text, bool and literal', () => {
  it('text checks type and length', () => {
    expect(s.text({ max: 3 })('abc', 't')).toBe('abc')
    expect(rejection(() => s.text({ max: 3 })('abcd', 't')).message).toBe('t: text length 4 over 3')
    expect(rejection(() => s.text({ max: 3 })(new Uint8Array(1), 't')).message).toContain('got bytes')
  })

  it('bool accepts only booleans', () => {
    expect(s.bool()(false, 'f')).toBe(false)
    expect(rejection(() => s.bool()(0, 'f')).message).toBe('f: expected boolean, got number')
  })

  it('literal accepts only the listed constants', () => {
    expect(s.literal<'a' | 1>('a', 1)(1, 'l')).toBe(1)
    expect(rejection(() => s.literal<'a' | 1>('a', 1)('1', 'l')).message).toBe('l: unexpected value "1"')
  })
})

describe('array', () => {
  it('checks every item and reports the index in the path', () => {
    const ids = s.array(s.uint({ max: 9 }), { max: 3 })
    expect(ids([1, 2], 'm.ids')).toEqual([1, 2])
    expect(rejection(() => ids([1, 10], 'm.ids')).path).toBe('m.ids[1]')
  })

  it('enforces the count bounds before looking at items', () => {
    const ids = s.array(s.uint(), { max: 2, min: 1 })
    expect(rejection(() => ids([1, 2, 'x'], 'a')).message).toBe('a: array length 3 outside [1, 2]')
    expect(rejection(() => ids([], 'a')).message).toContain('outside [1, 2]')
    expect(rejection(() => ids({}, 'a')).message).toContain('expected array, got object')
  })
})

describe('object and optional', () => {
  const msg = s.object({ a: s.uint(), b: s.optional(s.text({ max: 5 })) })

  it('accepts required fields and leaves absent optional fields absent', () => {
    expect(msg({ a: 1 }, '')).toEqual({ a: 1 })
    expect(Object.hasOwn(msg({ a: 1 }, ''), 'b')).toBe(false)
    expect(msg({ a: 1, b: 'x' }, '')).toEqual({ a: 1, b: 'x' })
  })

  it('rejects unknown keys, missing keys and bad fields with dotted paths', () => {
    expect(rejection(() => msg({ a: 1, c: 2 }, 'root')).message).toBe("root: unknown field 'c'")
    expect(rejection(() => msg({}, '')).path).toBe('a')
    expect(rejection(() => msg({ a: 1, b: 7 }, 'root')).path).toBe('root.b')
    expect(rejection(() => msg({ a: 1, b: undefined }, '')).path).toBe('b')
  })

  it('rejects non-plain objects: arrays, bytes, null, class instances and Maps', () => {
    for (const bad of [[], new Uint8Array(1), null, new Date(0), new Map([['a', 1]]), 'a']) {
      expect(rejection(() => msg(bad, 'o')).message).toMatch(/^o: expected map, got /)
    }
  })
})

describe('variant', () => {
  const msg = s.variant('type', {
    ping: s.object({ type: s.literal('ping'), n: s.uint() }),
    pong: s.object({ type: s.literal('pong') }),
  })

  it('selects the schema by tag', () => {
    expect(msg({ type: 'ping', n: 3 }, '')).toEqual({ type: 'ping', n: 3 })
    expect(msg({ type: 'pong' }, '')).toEqual({ type: 'pong' })
  })

  it('rejects a missing or unknown tag, and inherited property names as tags', () => {
    expect(rejection(() => msg({ n: 3 }, 'm')).message).toBe("m: missing 'type' tag")
    expect(rejection(() => msg({ type: 'pang' }, 'm')).message).toBe('m: unknown type "pang"')
    expect(rejection(() => msg({ type: 'toString' }, 'm')).message).toContain('unknown type')
    expect(rejection(() => msg(null, 'm')).message).toContain('missing')
  })
})

describe('transform and id schemas', () => {
  it('turns a thrown error into a DecodeError at the path and keeps the cause', () => {
    const cause = new RangeError('too big')
    const t = s.transform(s.uint(), () => {
      throw cause
    })
    const err = rejection(() => t(1, 'x.y'))
    expect(err.message).toBe('x.y: too big')
    expect(err.cause).toBe(cause)
  })

  it('passes a DecodeError through unchanged', () => {
    const inner = new DecodeError('inner', 'deep')
    expect(rejection(() => s.transform(s.uint(), () => { throw inner })(1, 'x'))).toBe(inner)
  })

  it('peerId, topicId and messageId build ids of the right kind from 32 bytes only', () => {
    const b = new Uint8Array(32).fill(3)
    expect(s.peerId()(b, 'p')).toBeInstanceOf(PeerId)
    expect(s.topicId()(b, 't')).toBeInstanceOf(TopicId)
    expect(s.messageId()(b, 'm')).toBeInstanceOf(MessageId)
    expect(rejection(() => s.peerId()(new Uint8Array(31), 'p')).message).toBe('p: expected 32 bytes, got 31')
  })
})
