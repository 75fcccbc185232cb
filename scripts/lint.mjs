#!/usr/bin/env node
/**
 * Project lint, `node scripts/lint.mjs [root]` (root defaults to this repository). Sans-IO rule
 * (docs/architecture.md, "Sans-IO protocol cores"): files under any `src/proto/` folder get time
 * only as `nowMs` and randomness only through an injected `Rng`, so they must not touch clocks,
 * timers, Math.random, `node:` modules, sockets, cbor-x or logging. Library sources must not print
 * to the console (logging goes through pino in the node package). Package rule (docs/architecture.md,
 * "Packages and the layer DAG"): imports between packages follow the layer table below, every
 * package a source file imports is declared in its package.json, and no relative import leaves its
 * package. Implemented on the TypeScript AST, so comments and strings never trigger it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import ts from 'typescript'

/**
 * The layer DAG: which `@saorsa-gossip/*` packages each package's sources may import (a package may
 * always import itself). Lower layers first; a row lists the whole closure, not just the direct edge.
 * - pubsub sees membership and transport only through small structural interfaces that node fills,
 *   so it imports neither, and nothing above pubsub inherits them.
 * - Upper layers reach the network through pubsub topics and named protocols handed in as components.
 * - node is the only composition root; the simulator runs the proto/ cores and the one composition
 *   node also ships (`@saorsa-gossip/node/stack`), never the rest of node.
 * A new edge needs a reason in docs/architecture.md before it goes into this table.
 */
const LAYERS = {
  types: [],
  identity: ['types'],
  transport: ['types', 'identity'],
  membership: ['types', 'identity', 'transport'],
  pubsub: ['types', 'identity'],
  groups: ['types', 'identity'],
  coordinator: ['types', 'identity', 'pubsub'],
  rendezvous: ['types', 'identity', 'pubsub', 'coordinator'],
  presence: ['types', 'identity', 'pubsub', 'coordinator', 'groups'],
  'crdt-sync': ['types', 'identity', 'pubsub', 'groups'],
  node: ['types', 'identity', 'transport', 'membership', 'pubsub', 'groups', 'coordinator', 'rendezvous', 'presence', 'crdt-sync'],
  simulator: ['types', 'identity', 'transport', 'membership', 'pubsub', 'groups', 'coordinator', 'rendezvous', 'presence', 'crdt-sync', 'node/stack'],
}
const SCOPE = '@saorsa-gossip/'

const FORBIDDEN_GLOBALS = new Set([
  'Date', 'setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval',
  'clearImmediate', 'performance', 'process', 'queueMicrotask', 'crypto', 'console',
])
const FORBIDDEN_MODULES = [/^node:/, /^cbor-x$/, /^pino$/, /^(fs|net|tls|dgram|crypto|timers|os|child_process|worker_threads)(\/|$)/]
const CONSOLE_ALLOWED = [/^packages\/node\/src\/cli\//, /^packages\/simulator\/src\/cli\.ts$/]

function walk(dir, out = []) {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist') continue
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) walk(path, out)
    else if (path.endsWith('.ts') && !path.endsWith('.d.ts')) out.push(path)
  }
  return out
}

/** Every problem in the tree under `root`, as `path:line:col message` lines. */
export function lintTree(root) {
  const problems = []
  const report = (file, node, sf, message) => {
    const { line, character } = sf.getLineAndCharacterOfPosition(node.getStart(sf))
    problems.push(`${relative(root, file)}:${line + 1}:${character + 1} ${message}`)
  }
  const manifests = new Map()
  const manifestOf = (pkg) => {
    if (!manifests.has(pkg)) {
      const path = join(root, 'packages', pkg, 'package.json')
      manifests.set(pkg, existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {})
    }
    return manifests.get(pkg)
  }

  for (const file of walk(join(root, 'packages'))) {
    const rel = relative(root, file)
    const pkg = /^packages\/([^/]+)\/src\//.exec(rel)?.[1]
    if (pkg === undefined) continue
    const isProto = /\/src\/proto\//.test(rel)
    const consoleAllowed = CONSOLE_ALLOWED.some((re) => re.test(rel))
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
    const checkSpecifier = (node, spec) => {
      const problem = importProblem(root, file, pkg, manifestOf(pkg), spec)
      if (problem !== undefined) report(file, node, sf, problem)
    }
    const visit = (node) => {
      const spec = moduleSpecifierOf(node)
      if (spec !== undefined) checkSpecifier(node, spec)
      if (isProto && spec !== undefined && !isDynamicImport(node) && FORBIDDEN_MODULES.some((re) => re.test(spec))) {
        report(file, node, sf, `sans-IO core imports '${spec}'`)
      }
      if (isProto && isDynamicImport(node)) report(file, node, sf, 'sans-IO core uses dynamic import()')
      if (ts.isIdentifier(node) && !isDeclarationName(node) && !isPropertyName(node)) {
        if (isProto && FORBIDDEN_GLOBALS.has(node.text)) report(file, node, sf, `sans-IO core uses '${node.text}'`)
        else if (!isProto && !consoleAllowed && node.text === 'console') report(file, node, sf, "library code uses 'console'")
      }
      if (isProto && ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression)
        && node.expression.text === 'Math' && node.name.text === 'random') {
        report(file, node, sf, "sans-IO core uses 'Math.random'")
      }
      ts.forEachChild(node, visit)
    }
    visit(sf)
  }
  for (const pkg of readdirSync(join(root, 'packages'))) problems.push(...referenceProblems(root, pkg, manifestOf(pkg)))
  return problems
}

/** `tsc -b` builds a package after the ones its tsconfig references: exactly its workspace dependencies. */
function referenceProblems(root, pkg, manifest) {
  const path = join(root, 'packages', pkg, 'tsconfig.json')
  if (!existsSync(path)) return []
  const references = new Set((JSON.parse(readFileSync(path, 'utf8')).references ?? []).map((r) => r.path.replace(/^\.\.\//, '')))
  const dependencies = new Set(Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies })
    .filter((d) => d.startsWith(SCOPE)).map((d) => d.slice(SCOPE.length)))
  const problems = []
  for (const d of dependencies) if (!references.has(d)) problems.push(`packages/${pkg}/tsconfig.json does not reference '../${d}', a dependency in its package.json`)
  for (const r of references) if (!dependencies.has(r)) problems.push(`packages/${pkg}/tsconfig.json references '../${r}', which its package.json does not depend on`)
  return problems
}

function isDynamicImport(node) {
  return ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword
}

/** The module named by an `import`, `export ... from` or `import('...')` with a literal argument. */
function moduleSpecifierOf(node) {
  if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier
    && ts.isStringLiteral(node.moduleSpecifier)) return node.moduleSpecifier.text
  if (isDynamicImport(node) && node.arguments.length > 0 && ts.isStringLiteralLike(node.arguments[0])) return node.arguments[0].text
  return undefined
}

/** Why `spec`, imported by a source file of package `pkg`, breaks the package rule (undefined: it does not). */
function importProblem(root, file, pkg, manifest, spec) {
  if (spec.startsWith('.')) {
    const target = resolve(dirname(file), spec)
    const home = join(root, 'packages', pkg)
    return relative(home, target).startsWith('..') ? `'${pkg}' reaches outside its package by path: '${spec}'` : undefined
  }
  if (spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0])) return undefined
  if (spec === `${SCOPE}types/testing`) return `'${pkg}' imports the test helpers '${spec}' from a source file; they are for tests only`
  const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]
  if (name === `${SCOPE}${pkg}`) return undefined
  if (name.startsWith(SCOPE)) {
    const allowed = LAYERS[pkg]
    if (allowed === undefined) return `package '${pkg}' has no row in the layer table of scripts/lint.mjs`
    const target = name.slice(SCOPE.length)
    const subpath = spec.slice(SCOPE.length)
    if (!allowed.includes(target) && !allowed.includes(subpath)) {
      const only = allowed.filter((a) => a.includes('/') && a.startsWith(`${target}/`)).map((a) => `${SCOPE}${a}`)
      return `layer DAG: '${pkg}' must not import '${target}' ('${spec}')` +
        (only.length > 0 ? `; of '${target}' it may import only ${only.join(', ')}` : `; '${pkg}' may import ${allowed.length > 0 ? allowed.join(', ') : 'no other package'}`)
    }
  }
  const declared = { ...manifest.dependencies, ...manifest.peerDependencies }
  return name in declared ? undefined : `'${pkg}' imports '${name}' but packages/${pkg}/package.json does not declare it in dependencies`
}

/** `x.Date` or `{ Date: 1 }` name a property, not the global. */
function isPropertyName(node) {
  const parent = node.parent
  return (ts.isPropertyAccessExpression(parent) && parent.name === node)
    || (ts.isPropertyAssignment(parent) && parent.name === node)
    || (ts.isPropertySignature(parent) && parent.name === node)
    || (ts.isPropertyDeclaration(parent) && parent.name === node)
    || (ts.isMethodDeclaration(parent) && parent.name === node)
    || (ts.isQualifiedName(parent) && parent.right === node)
}
/** A local binding that happens to share a global's name is the author's own. */
function isDeclarationName(node) {
  const parent = node.parent
  return (ts.isVariableDeclaration(parent) || ts.isParameter(parent) || ts.isFunctionDeclaration(parent)
    || ts.isClassDeclaration(parent) || ts.isInterfaceDeclaration(parent) || ts.isTypeAliasDeclaration(parent)
    || ts.isImportSpecifier(parent) || ts.isBindingElement(parent)) && parent.name === node
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const root = resolve(process.argv[2] ?? fileURLToPath(new URL('..', import.meta.url)))
  const problems = lintTree(root)
  if (problems.length > 0) {
    for (const p of problems) console.error(p)
    console.error(`lint: ${problems.length} problem(s)`)
    process.exit(1)
  }
  console.log('lint: ok')
}
