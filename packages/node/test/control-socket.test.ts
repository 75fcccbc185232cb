import { describe, it, expect, afterEach } from 'vitest'
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startControlServer, type ControlHandlers, type ControlServer } from '../src/control/server.ts'
import { controlRequest, controlStream } from '../src/control/client.ts'
import { LineSplitter, MAX_CONTROL_LINE_BYTES, parseControlRequest } from '../src/control/protocol.ts'
import { layerControlMethods } from '../src/control/methods/index.ts'
import { exactKeys, intParam, stringParam } from '../src/control/methods/params.ts'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn()
})

async function home(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sg-ctl-'))
  cleanups.push(() => rm(dir, { recursive: true, force: true }))
  return dir
}

function handlers(overrides: Partial<ControlHandlers> = {}): ControlHandlers {
  return {
    status: () => ({ running: true }),
    peers: () => [],
    topics: () => ['chat'],
    publish: async (topic, payload) => ({ topic, bytes: payload.length }),
    async *subscribe() {},
    leave: () => {},
    ...overrides,
  }
}

async function serve(path: string, h: ControlHandlers): Promise<ControlServer> {
  const server = await startControlServer(path, h)
  cleanups.push(() => server.close())
  return server
}

function rawExchange(path: string, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path)
    let out = ''
    socket.on('data', (d) => {
      out += d.toString()
    })
    socket.on('close', () => resolve(out))
    socket.on('error', reject)
    socket.write(bytes, () => socket.end())
  })
}

describe('control socket', () => {
  it('answers a request with the handler result', async () => {
    const path = join(await home(), 'control.sock')
    await serve(path, handlers())
    expect(await controlRequest(path, 'topics')).toEqual(['chat'])
  })

  it('creates the socket with mode 0600', async () => {
    const path = join(await home(), 'control.sock')
    await serve(path, handlers())
    expect((await stat(path)).mode & 0o777).toBe(0o600)
  })

  it('passes publish payloads through base64 unchanged', async () => {
    const path = join(await home(), 'control.sock')
    let seen: Uint8Array | undefined
    await serve(path, handlers({ publish: async (topic, payload) => { seen = payload; return { topic } } }))
    const payload = Uint8Array.from([0, 1, 2, 250, 255])
    expect(await controlRequest(path, 'publish', { topic: 'chat', payload })).toEqual({ topic: 'chat' })
    expect(seen).toEqual(payload)
  })

  it('says no node is running when the socket file is absent', async () => {
    const path = join(await home(), 'control.sock')
    await expect(controlRequest(path, 'status')).rejects.toMatchObject({ name: 'NoNodeRunningError', message: expect.stringMatching(/no node is running/) })
  })

  it('says no node is running when the socket file is stale', async () => {
    const path = join(await home(), 'control.sock')
    const dead = createServer()
    await new Promise<void>((r) => dead.listen(path, r))
    // Closing the server unlinks the socket; recreate a plain file where it was to mimic a crash leftover.
    await new Promise<void>((r) => dead.close(() => r()))
    await writeFile(path, '')
    await expect(controlRequest(path, 'status')).rejects.toMatchObject({ name: 'NoNodeRunningError' })
  })

  it('replaces a stale socket file when a node starts', async () => {
    const path = join(await home(), 'control.sock')
    await writeFile(path, '')
    await serve(path, handlers())
    expect(await controlRequest(path, 'status')).toEqual({ running: true })
  })

  it('refuses to start a second node on a live socket', async () => {
    const path = join(await home(), 'control.sock')
    await serve(path, handlers())
    await expect(startControlServer(path, handlers())).rejects.toMatchObject({ name: 'NodeAlreadyRunningError' })
  })

  it('reports handler errors with their name', async () => {
    const path = join(await home(), 'control.sock')
    class NoPeersError extends Error { override name = 'NoPeersError' }
    await serve(path, handlers({ publish: async () => { throw new NoPeersError('no peers to publish to') } }))
    await expect(controlRequest(path, 'publish', { topic: 't', payload: new Uint8Array(1) }))
      .rejects.toMatchObject({ name: 'ControlRequestError', remoteName: 'NoPeersError', message: 'no peers to publish to' })
  })

  it('answers malformed, unknown and oversized requests with BadRequest and keeps serving', async () => {
    const path = join(await home(), 'control.sock')
    await serve(path, handlers())
    const replies = (await rawExchange(path, 'not json\n{"id":3,"method":"reboot"}\n{"id":4,"method":"status","params":{"x":1}}\n'))
      .trim().split('\n').map((l) => JSON.parse(l))
    expect(replies.map((r) => [r.id, r.error.name])).toEqual([[0, 'BadRequest'], [3, 'BadRequest'], [4, 'BadRequest']])
    const long = await rawExchange(path, Buffer.alloc(MAX_CONTROL_LINE_BYTES + 10, 0x61))
    expect(JSON.parse(long.trim()).error.message).toMatch(/too long/)
    expect(await controlRequest(path, 'status')).toEqual({ running: true })
  })

  it('streams subscription events until the client aborts', async () => {
    const path = join(await home(), 'control.sock')
    let released = false
    await serve(path, handlers({
      async *subscribe(topic, signal) {
        for (let i = 0; i < 3; i++) yield { topic, i }
        await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }))
        released = true
      },
    }))
    const controller = new AbortController()
    const got: unknown[] = []
    for await (const event of controlStream(path, 'subscribe', { topic: 'news' }, { signal: controller.signal })) {
      got.push(event)
      if (got.length === 3) controller.abort()
    }
    expect(got).toEqual([{ topic: 'news', i: 0 }, { topic: 'news', i: 1 }, { topic: 'news', i: 2 }])
    const deadline = Date.now() + 5000
    while (!released && Date.now() < deadline) await new Promise((r) => setImmediate(r))
    expect(released).toBe(true)
  })

  it('calls leave after replying', async () => {
    const path = join(await home(), 'control.sock')
    let left = false
    await serve(path, handlers({ leave: () => { left = true } }))
    expect(await controlRequest(path, 'leave')).toEqual({ leaving: true })
    expect(left).toBe(true)
  })
})

describe('control protocol parsing', () => {
  it('validates publish parameters', () => {
    expect(() => parseControlRequest('{"id":1,"method":"publish","params":{"topic":"","payload":""}}')).toThrow(/topic/)
    expect(() => parseControlRequest('{"id":1,"method":"publish","params":{"topic":"t","payload":"!!"}}')).toThrow(/base64/)
    expect(parseControlRequest('{"id":1,"method":"publish","params":{"topic":"t","payload":"AAE="}}'))
      .toEqual({ id: 1, method: 'publish', params: { topic: 't', payload: Uint8Array.from([0, 1]) } })
  })

  it('splits lines across arbitrary chunk boundaries', () => {
    const splitter = new LineSplitter(16)
    expect(splitter.push(Buffer.from('ab'))).toEqual([])
    expect(splitter.push(Buffer.from('c\nde\nf'))).toEqual(['abc', 'de'])
    expect(splitter.push(Buffer.from('g\n'))).toEqual(['fg'])
    expect(splitter.push(Buffer.alloc(17, 0x61))).toBeUndefined()
  })
})

describe('control socket: layer methods (SPEC 8.1.1)', () => {
  const echo = {
    parse: (p: Readonly<Record<string, unknown>>, id: number) => {
      exactKeys(p, ['name', 'count'], id)
      return { name: stringParam(p, 'name', id, 8), count: intParam(p, 'count', id, 1, 3, true) ?? 1 }
    },
    run: (p: Readonly<Record<string, unknown>>) => ({ hello: p.name }),
  }
  const ticks = {
    parse: (p: Readonly<Record<string, unknown>>, id: number) => ({ count: intParam(p, 'count', id, 1, 3) }),
    async *stream(p: Readonly<Record<string, unknown>>) {
      for (let i = 0; i < (p.count as number); i++) yield { tick: i }
    },
    event: 'tick',
  }

  async function serveWith(path: string): Promise<void> {
    const methods = layerControlMethods({} as never, [() => ({ 'demo.echo': echo, 'demo.ticks': ticks })])
    const server = await startControlServer(path, handlers(), methods)
    cleanups.push(() => server.close())
  }

  it('runs a one-shot layer method with validated parameters', async () => {
    const path = join(await home(), 'control.sock')
    await serveWith(path)
    expect(await controlRequest(path, 'demo.echo', { name: 'ada' })).toEqual({ hello: 'ada' })
  })

  it('streams a layer method until it ends', async () => {
    const path = join(await home(), 'control.sock')
    await serveWith(path)
    const got: unknown[] = []
    for await (const e of controlStream(path, 'demo.ticks', { count: 3 })) got.push(e)
    expect(got).toEqual([{ tick: 0 }, { tick: 1 }, { tick: 2 }])
  })

  it('refuses bad parameters naming them, and names nobody serves', async () => {
    const path = join(await home(), 'control.sock')
    await serveWith(path)
    await expect(controlRequest(path, 'demo.echo', { name: 'far-too-long-name' })).rejects.toMatchObject({ message: expect.stringContaining('params.name') })
    await expect(controlRequest(path, 'demo.echo', { name: 'a', extra: 1 })).rejects.toMatchObject({ message: expect.stringContaining("'extra'") })
    await expect(controlRequest(path, 'demo.missing', {})).rejects.toMatchObject({ message: expect.stringContaining('unknown method') })
  })

  it('refuses badly named, duplicated or ill-formed method declarations at start-up', () => {
    expect(() => layerControlMethods({} as never, [() => ({ Echo: echo })])).toThrow(/<layer>.<verb>/)
    expect(() => layerControlMethods({} as never, [() => ({ 'demo.echo': echo }), () => ({ 'demo.echo': echo })])).toThrow(/twice/)
    expect(() => layerControlMethods({} as never, [() => ({ 'demo.none': { parse: () => ({}) } })])).toThrow(/exactly one/)
  })
})

describe('control socket: a crashed node\'s socket file', () => {
  // Regression: replacing a stale socket with fs.rm left Node 20's ESM loader unable to resolve
  // packages through pnpm's symlinks, so a daemon restarted after a crash could not load its groups
  // layer. Runs in a child process on the built package, where Node's own resolver is in use.
  it('is replaced without breaking later imports in the process', async () => {
    const dir = await home()
    const path = join(dir, 'control.sock')
    const { execFile } = await import('node:child_process')
    const run = (code: string) => new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--input-type=module', '-e', code], { cwd: fileURLToPath(new URL('..', import.meta.url)), timeout: 30_000 },
        (err, stdout, stderr) => (err !== null && (err as { signal?: string }).signal !== 'SIGKILL' ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)))
    })
    // A listener killed before it can clean up leaves its socket file behind.
    await run(`import { createServer } from 'node:net'; createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`)
    expect((await stat(path)).isSocket()).toBe(true)
    const out = await run([
      `import { startControlServer } from './dist/control/server.js'`,
      `const server = await startControlServer(${JSON.stringify(path)}, {})`,
      `await import('@saorsa-gossip/groups')`,
      `await server.close()`,
      `console.log('imported')`,
    ].join('\n'))
    expect(out.trim()).toBe('imported')
  }, 60_000)
})
