/**
 * Applies this package's patch of @fails-components/webtransport 1.6.8 (../../patches/, what it fixes
 * is in README.md here) to the copy of the library Node resolves from this package, in memory: every
 * file the patch changes is read, checked against the SHA-256 of the registry's 1.6.8 release, patched,
 * checked against the SHA-256 of the patched file, and served to Node's module loader in place of the
 * file on disk (module customization hooks). Nothing on disk changes. Files already patched on disk
 * (pnpm `patchedDependencies`, patch-package, `patch -p1`) are recognised by hash and loaded as they are.
 */
import { SaorsaError } from '@saorsa-gossip/types'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, realpathSync } from 'node:fs'
import * as nodeModule from 'node:module'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { applyHunks, parseUnifiedDiff, type DiffHunk } from './unified-diff.ts'

export const LIBRARY = '@fails-components/webtransport'
export const LIBRARY_VERSION = '1.6.8'
/** The patch, shipped in this package's `patches/` (also the file pnpm applies inside this repository). */
export const PATCH_URL = new URL('../../patches/@fails-components__webtransport@1.6.8.patch', import.meta.url)

/**
 * SHA-256 (hex) of each file the patch changes: as published in the registry's 1.6.8 tarball, and
 * after the patch. Anything else on disk (another release, a local edit) is refused.
 */
export const PATCHED_FILES: ReadonlyMap<string, { readonly release: string; readonly patched: string }> = new Map([
  ['lib/http2/node/capsuleparser.js', { release: 'cceaefcc3cd0f442855c6928efba3fe41859ee90acd23547e5279e7b94be398a', patched: 'cbaaba267b66b8667c8c08266250e83cb5eaa58d10cdf4f8c209bb1c5a45f1fd' }],
  ['lib/http2/node/client.js', { release: '1f4996d505448ef670fb90876dfb6fbcfcb2c1a0a8ca8c2eb3c197d33c8aa5db', patched: '7041082e870831651bfd4e354f7d446af141bdd82e17a4149fb1d938e56f70f3' }],
  ['lib/http2/node/server.js', { release: 'cb5f8b6a74e6cc8388747de22082143a0aed98936dd2ee6fee9260699415b3b4', patched: 'c64cfd7f3f764177d2500575e93b77fdf2719b81219aae3c6718b717d9497ba0' }],
  ['lib/http2/node/websocketparser.js', { release: '61cad9bbe44cab85ecbe3832ae7c40e2d92158f889950968a6d542daf1677d1f', patched: '03e2b3627e91eb198a87ce7822f23c8eb48823d70f35934e86ea0186ba2e3a02' }],
  ['lib/http2/parserbase.js', { release: 'c2af531d12d5b2c2cce6adf2814d5147c843c9199fb98443a3ce48d8f473160a', patched: '04d25648747de7472b7ae2ee11d7ca640433f7b2ca59159ab5c21c04cddfd85d' }],
  ['lib/http2/parserbasehttp2.js', { release: '74376a6076fd4e8a341bc474559abf3f6de8e9430df42042c795c5fa54b13c49', patched: '920e32b914ec2c757b7d500eb985181e9acfebb6a6b01ed8212ac385e0fa932d' }],
  ['lib/http2/stream.js', { release: 'f209671afe89df1c96581b1f4e2ea608e3c72da26e36086b3262ce2bff443362', patched: 'c131aa9891cfb04f2b889d7d5768a37e4e36d4320dcacd4fac1dabf616ea203e' }],
  ['lib/http2/streamidmanager.js', { release: '1c7f62130663852a7359fba62f1cc361437755732545ae07bdfd6c954d39b31a', patched: 'f893011813057c7585b63c2e9cd3dce2f029126f330d2945d40535e26e975680' }],
  ['lib/index.node.js', { release: '67a8f27a38d8b3323ab9ab952eda12c8dadf42af2a4b9286118cb924363bf21a', patched: 'a763767ebffdb10e5fcf3207cd7dd8ef23efc2a049c83e12acc4d7696c3eeb2d' }],
  ['lib/server.js', { release: '14c3f7cc7f5cd23b966bec0a85e4480d672889c99e9ebf1d15c8b61f45a2e104', patched: '981413aa99878ba30bf42d69c12ad352ca64bcb8972e2a71eeab3f8b34be61dc' }],
  ['lib/session.js', { release: '47757371f51e26a3dc8cbfc83fd3df657a416b01b84f92fa6ef419c2de332e11', patched: '4837c831ad48fe0c75e11a4ef5808bc994b9d86eee223830b5f1d8f37b994fdc' }],
  ['lib/stream.js', { release: 'fd9559f60cf1e5011b4e086a4c33ba74807d571b961b706bf5ba97e6b53e84be', patched: '1568db5a64560948811da8581c4bfadaaea83e5a6bf436431059d0b4e1d5fc27' }],
  ['lib/webtransport.node.js', { release: 'fd1a3f302bd8041e72c440e119431ea33fd057dd5c83a1fd74f9e7cb07726cb7', patched: '7881a223482862e30cc6cf3c0e2e6da71e45e2bda118d1bc13cf7c3db79d4466' }],
])

/**
 * The WebTransport library cannot be used: it is missing, another release, modified on disk, or was
 * loaded unpatched before the carrier could patch it. The message ends with the command that fixes it.
 * Unpatched 1.6.8 stalls after 16 KB and one hostile capsule can crash the process, so the carrier
 * refuses to run rather than degrade silently.
 */
export class WebTransportUnavailableError extends SaorsaError {
  override readonly name = 'WebTransportUnavailableError'
}

/** The command that applies the shipped patch to `dir` on disk, for when in-memory patching cannot work. */
export function patchOnDiskCommand(dir: string): string {
  return `patch -p1 -d '${dir}' < '${fileURLToPath(PATCH_URL)}'`
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex')

/**
 * The directory of the library as this package resolves it (symlinks resolved, as Node's ES module
 * loader names its files), or undefined when it is not installed.
 */
export function findLibraryDir(): string | undefined {
  const searched = nodeModule.createRequire(import.meta.url).resolve.paths(LIBRARY) ?? []
  const dir = searched.map((base) => join(base, LIBRARY)).find((candidate) => existsSync(join(candidate, 'package.json')))
  return dir === undefined ? undefined : realpathSync(dir)
}

/**
 * Checks the library in `dir` (its version and every file the patch touches) and returns the patched
 * source of each file that is still as released, keyed by file URL; files already patched on disk are
 * left out. Throws WebTransportUnavailableError, naming the file and the command that fixes it.
 */
export function preparePatchedSources(dir: string, patchText: string): Map<string, string> {
  let version: unknown
  try {
    version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: unknown }).version
  } catch (error) {
    throw new WebTransportUnavailableError(`${dir}/package.json is unreadable: reinstall with \`rm -rf '${dir}' && npm install\``, { cause: error })
  }
  if (version !== LIBRARY_VERSION) {
    throw new WebTransportUnavailableError(
      `${dir} is ${LIBRARY} ${String(version)}, the WebTransport carrier needs exactly ${LIBRARY_VERSION}: remove any ` +
      `override of it and run \`npm install ${LIBRARY}@${LIBRARY_VERSION}\``)
  }
  let diffs: Map<string, readonly DiffHunk[]>
  try {
    diffs = new Map(parseUnifiedDiff(patchText).map((file) => [file.path, file.hunks]))
  } catch (error) {
    throw new WebTransportUnavailableError(`the shipped patch is unreadable (${String(error)}): reinstall @saorsa-gossip/transport`, { cause: error })
  }
  const sources = new Map<string, string>()
  for (const [path, expected] of PATCHED_FILES) {
    const hunks = diffs.get(path)
    if (hunks === undefined) throw new WebTransportUnavailableError(`the shipped patch has no changes for ${path}: reinstall @saorsa-gossip/transport`)
    const file = join(dir, path)
    let source: string
    try {
      source = readFileSync(file, 'utf8')
    } catch (error) {
      throw new WebTransportUnavailableError(`${file} is unreadable: reinstall with \`rm -rf '${dir}' && npm install\``, { cause: error })
    }
    const hash = sha256(source)
    if (hash === expected.patched) continue
    if (hash !== expected.release) {
      throw new WebTransportUnavailableError(
        `${file} is neither ${LIBRARY} ${LIBRARY_VERSION} as released nor as patched (changed after install?): ` +
        `reinstall with \`rm -rf '${dir}' && npm install\``)
    }
    let result: string
    try {
      result = applyHunks(source, hunks, path)
    } catch (error) {
      throw new WebTransportUnavailableError(`the shipped patch does not apply to ${path}: reinstall @saorsa-gossip/transport`, { cause: error })
    }
    if (sha256(result) !== expected.patched) {
      throw new WebTransportUnavailableError(`the shipped patch does not produce the expected ${path}: reinstall @saorsa-gossip/transport`)
    }
    sources.set(pathToFileURL(file).href, result)
  }
  if (diffs.size !== PATCHED_FILES.size) throw new WebTransportUnavailableError('the shipped patch changes files it has no hashes for: reinstall @saorsa-gossip/transport')
  return sources
}

type SyncLoad = (url: string, context: object, nextLoad: (url: string, context?: object) => { source?: unknown }) => { source?: unknown }
/** `module.registerHooks` (Node 22.15 and 23.5 on): in-thread hooks, typed here because @types/node 20 lacks it. */
const registerHooks = (nodeModule as { registerHooks?: (hooks: { load: SyncLoad }) => unknown }).registerHooks

const served = new Set<string>()

/**
 * Makes Node's module loader use `sources` (file URL -> source) for those files from now on. Each file
 * is registered once per process; modules imported before this call keep their original source.
 */
export function servePatchedSources(sources: ReadonlyMap<string, string>): void {
  const fresh = [...sources].filter(([url]) => !served.has(url))
  if (fresh.length === 0) return
  if (registerHooks !== undefined) {
    const table = new Map(fresh)
    registerHooks({
      load(url, context, nextLoad) {
        const result = nextLoad(url, context)
        const source = table.get(url)
        return source === undefined ? result : { ...result, source }
      },
    })
  } else {
    nodeModule.register(new URL('./patch-hooks.js', import.meta.url), { data: { sources: fresh } })
  }
  for (const [url] of fresh) served.add(url)
}
