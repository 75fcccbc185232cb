/**
 * The WebTransport carrier loads its library lazily and refuses a library it could not patch (loaded
 * unpatched before the carrier, or missing) with a typed error that names the command to run.
 */
import { describe, expect, it } from 'vitest'
import { checkWebTransportLibrary, loadWebTransportLibrary, REQUIRED_PATCH_LEVEL } from '../src/webtransport/index.ts'

describe('WebTransport library loading', () => {
  it('accepts the patched library installed in this workspace', async () => {
    const library = await loadWebTransportLibrary()
    expect(typeof library.Http2Server).toBe('function')
    expect(typeof library.WebTransportClient).toBe('function')
    const raw = await import('@fails-components/webtransport') as Record<string, unknown>
    expect(raw['saorsaGossipPatchLevel']).toBeGreaterThanOrEqual(REQUIRED_PATCH_LEVEL)
  })

  it('refuses a library without the patch marker with WebTransportUnavailableError', async () => {
    const unpatched = { Http2Server: class {}, WebTransport: class {} }
    await expect(checkWebTransportLibrary(async () => unpatched)).rejects.toMatchObject({
      name: 'WebTransportUnavailableError',
      message: expect.stringMatching(/without the saorsa-gossip patch .* apply the patch on disk with `patch -p1 -d '.+' < '.+\/patches\/@fails-components__webtransport@1\.6\.8\.patch'`$/),
    })
  })

  it('refuses an older patch level', async () => {
    const old = { Http2Server: class {}, WebTransport: class {}, saorsaGossipPatchLevel: REQUIRED_PATCH_LEVEL - 1 }
    await expect(checkWebTransportLibrary(async () => old)).rejects.toHaveProperty('name', 'WebTransportUnavailableError')
  })

  it('reports a missing library with WebTransportUnavailableError', async () => {
    const missing = async (): Promise<never> => { throw new Error("Cannot find package '@fails-components/webtransport'") }
    await expect(checkWebTransportLibrary(missing)).rejects.toMatchObject({
      name: 'WebTransportUnavailableError',
      message: expect.stringMatching(/could not be loaded .*: run `npm install @fails-components\/webtransport@1\.6\.8`$/),
    })
  })

  it('keeps the main transport entry point free of the WebTransport library', async () => {
    const main = await import('../src/index.ts') as Record<string, unknown>
    expect(main['createWebTransportCarrier']).toBeUndefined()
  })
})
