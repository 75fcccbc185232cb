#!/usr/bin/env node
/**
 * Project lint. Sans-IO rule (ARCHITECTURE.md section 2): files under any `src/proto/` folder
 * get time only as `nowMs` and randomness only through an injected `Rng`, so they must not
 * touch clocks, timers, Math.random, `node:` modules, sockets, cbor-x or logging. Library
 * sources must not print to the console (logging goes through pino in the node package).
 * Implemented on the TypeScript AST, so comments and strings never trigger it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import ts from 'typescript'

const root = new URL('..', import.meta.url).pathname
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

const problems = []
const report = (file, node, sf, message) => {
  const { line, character } = sf.getLineAndCharacterOfPosition(node.getStart(sf))
  problems.push(`${relative(root, file)}:${line + 1}:${character + 1} ${message}`)
}

for (const file of walk(join(root, 'packages'))) {
  const rel = relative(root, file)
  if (!/^packages\/[^/]+\/src\//.test(rel)) continue
  const isProto = /\/src\/proto\//.test(rel)
  const consoleAllowed = CONSOLE_ALLOWED.some((re) => re.test(rel))
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
  const visit = (node) => {
    if (isProto && (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier
      && ts.isStringLiteral(node.moduleSpecifier)) {
      const spec = node.moduleSpecifier.text
      if (FORBIDDEN_MODULES.some((re) => re.test(spec))) report(file, node, sf, `sans-IO core imports '${spec}'`)
    }
    if (isProto && ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      report(file, node, sf, 'sans-IO core uses dynamic import()')
    }
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

if (problems.length > 0) {
  for (const p of problems) console.error(p)
  console.error(`lint: ${problems.length} problem(s)`)
  process.exit(1)
}
console.log('lint: ok')
