#!/usr/bin/env node
/**
 * Runs the benchmark suites and rewrites docs/benchmarks.md. Each package may ship
 * `bench/index.mjs` exporting `run({ quick })`, which returns one markdown section. Sections are
 * kept between `<!-- bench:<name> -->` markers, so running one package (`node scripts/bench.mjs
 * identity`) updates only its section. `--quick` shortens every run (used by smoke tests).
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { cpus, totalmem, platform, release } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const root = new URL('..', import.meta.url).pathname
const args = process.argv.slice(2)
const quick = args.includes('--quick')
const only = args.filter((a) => !a.startsWith('--'))
const docPath = join(root, 'docs', 'benchmarks.md')

const suites = readdirSync(join(root, 'packages'))
  .filter((name) => existsSync(join(root, 'packages', name, 'bench', 'index.mjs')))
  .filter((name) => only.length === 0 || only.includes(name))
const extra = existsSync(join(root, 'bench', 'index.mjs')) && (only.length === 0 || only.includes('comparison'))

// Installed versions of the dependencies the figures depend on, read from the lockfile's importers.
const KEY_DEPENDENCIES = ['@noble/post-quantum', '@oqs/liboqs-js', '@noble/ciphers', '@noble/hashes', 'cbor-x',
  '@fails-components/webtransport', 'libp2p', '@chainsafe/libp2p-gossipsub']
const versions = () => {
  const lock = readFileSync(join(root, 'pnpm-lock.yaml'), 'utf8')
  const found = KEY_DEPENDENCIES.map((name) => {
    const key = name.startsWith('@') ? `'${name}'` : name
    const match = lock.match(new RegExp(`\\n\\s+${key.replace(/[/.]/g, '\\$&')}:\\n\\s+specifier: [^\\n]+\\n\\s+version: ([0-9][^(\\s]*)`))
    return match === null ? undefined : `${name} ${match[1]}`
  })
  const own = JSON.parse(readFileSync(join(root, 'packages', 'node', 'package.json'), 'utf8')).version
  return [`@saorsa-gossip/* ${own}`, ...found.filter((v) => v !== undefined)].join(', ')
}

const machine = () => {
  const cpu = cpus()
  return `${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ` +
    `${platform()} ${release()}, Node ${process.version}`
}

// Re-read the document before each write: a long run must not undo a section written meanwhile.
const readDoc = () => (existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Benchmarks\n')
const replaceSection = (name, body) => {
  let doc = readDoc()
  const start = `<!-- bench:${name} -->`
  const end = `<!-- /bench:${name} -->`
  const block = `${start}\n${body.trim()}\n\n_Measured ${new Date().toISOString().slice(0, 10)} on ${machine()}; ` +
    `${versions()}._\n${end}`
  const re = new RegExp(`${start}[\\s\\S]*?${end}`)
  doc = re.test(doc) ? doc.replace(re, () => block) : `${doc.trimEnd()}\n\n${block}\n`
  writeFileSync(docPath, doc)
}

const jobs = suites.map((name) => ({ name, file: join(root, 'packages', name, 'bench', 'index.mjs') }))
if (extra) jobs.push({ name: 'comparison', file: join(root, 'bench', 'index.mjs') })
for (const { name, file } of jobs) {
  process.stdout.write(`bench: ${name}...\n`)
  const mod = await import(pathToFileURL(file).href)
  const section = await mod.run({ quick })
  replaceSection(name, section)
}
console.log(`bench: wrote ${docPath} (${jobs.map((j) => j.name).join(', ') || 'no suites'})`)
