/**
 * A strict reader and applier of git's unified diff format (the `diff --git` output that pnpm and
 * patch-package write; GNU diffutils manual, "Unified Format"), just enough for the library patch in
 * ../../patches/: text files that are modified, never created, deleted, renamed or binary. Every hunk
 * must match at exactly the line its header names (no fuzz, no offset search); the caller also pins
 * the input and output bytes by hash, so a diff can only ever turn one known file into another.
 */

/** One `@@ -oldStart,n +newStart,m @@` block: the lines it expects and the lines it leaves. */
export interface DiffHunk {
  /** 1-based line of `oldLines[0]` in the original file (for an empty `oldLines`, the line before). */
  readonly oldStart: number
  readonly oldLines: readonly string[]
  readonly newStart: number
  readonly newLines: readonly string[]
}

export interface FileDiff {
  /** Path inside the package, `/`-separated, as in `diff --git a/<path> b/<path>`. */
  readonly path: string
  readonly hunks: readonly DiffHunk[]
}

/** The diff is not one this reader accepts, or does not fit the file it is applied to. */
export class PatchError extends Error {
  override readonly name = 'PatchError'
}

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/

function safePath(path: string, line: number): string {
  const parts = path.split('/')
  if (path === '' || parts.some((part) => part === '' || part === '.' || part === '..')) {
    throw new PatchError(`line ${line}: unsafe path "${path}"`)
  }
  return path
}

/** Parses a git unified diff into its files and hunks; throws PatchError naming the line otherwise. */
export function parseUnifiedDiff(text: string): FileDiff[] {
  if (typeof text !== 'string') throw new TypeError('text must be a string')
  const lines = text.split('\n')
  const files: FileDiff[] = []
  let i = 0
  while (i < lines.length) {
    const header = /^diff --git a\/(\S+) b\/(\S+)$/.exec(lines[i]!)
    if (header === null) {
      if (files.length === 0 || lines[i] === '') { i++; continue }
      throw new PatchError(`line ${i + 1}: unexpected "${lines[i]}"`)
    }
    if (header[1] !== header[2]) throw new PatchError(`line ${i + 1}: renames are not supported`)
    const path = safePath(header[1]!, i + 1)
    i++
    if (/^index [0-9a-f]+\.\.[0-9a-f]+( \d+)?$/.test(lines[i] ?? '')) i++
    if (lines[i] !== `--- a/${path}` || lines[i + 1] !== `+++ b/${path}`) {
      throw new PatchError(`line ${i + 1}: ${path}: only modified text files are supported`)
    }
    i += 2
    const hunks: DiffHunk[] = []
    let match: RegExpExecArray | null
    while (i < lines.length && (match = HUNK_HEADER.exec(lines[i]!)) !== null) {
      const oldCount = Number(match[2] ?? '1')
      const newCount = Number(match[4] ?? '1')
      const oldLines: string[] = []
      const newLines: string[] = []
      i++
      while (oldLines.length < oldCount || newLines.length < newCount) {
        const line = lines[i]
        if (line === undefined) throw new PatchError(`${path}: hunk ends early at the end of the diff`)
        if (line.startsWith('\\')) throw new PatchError(`line ${i + 1}: ${path}: "\\ No newline" is not supported`)
        const body = line.slice(1)
        // An empty line is an empty context line whose leading space was trimmed away.
        if (line === '' || line.startsWith(' ')) { oldLines.push(body); newLines.push(body) }
        else if (line.startsWith('-')) oldLines.push(body)
        else if (line.startsWith('+')) newLines.push(body)
        else throw new PatchError(`line ${i + 1}: ${path}: unexpected "${line}" inside a hunk`)
        if (oldLines.length > oldCount || newLines.length > newCount) {
          throw new PatchError(`line ${i + 1}: ${path}: hunk is longer than its header says`)
        }
        i++
      }
      hunks.push({ oldStart: Number(match[1]), oldLines, newStart: Number(match[3]), newLines })
    }
    if (hunks.length === 0) throw new PatchError(`line ${i + 1}: ${path}: no hunks`)
    if (files.some((file) => file.path === path)) throw new PatchError(`${path}: appears twice`)
    files.push({ path, hunks })
  }
  if (files.length === 0) throw new PatchError('no file diffs found')
  return files
}

/**
 * Applies `hunks` to `source` (lines split on `\n`), each at exactly the line its header names, in
 * order; throws PatchError naming `path` and the line when the file does not match.
 */
export function applyHunks(source: string, hunks: readonly DiffHunk[], path: string): string {
  const input = source.split('\n')
  const output: string[] = []
  let next = 0 // index in `input` of the first line not yet copied
  for (const hunk of hunks) {
    const start = hunk.oldLines.length === 0 ? hunk.oldStart : hunk.oldStart - 1
    if (start < next || start + hunk.oldLines.length > input.length) {
      throw new PatchError(`${path}: hunk at line ${hunk.oldStart} is out of order or past the end`)
    }
    output.push(...input.slice(next, start))
    if (output.length + 1 !== (hunk.newLines.length === 0 ? hunk.newStart + 1 : hunk.newStart)) {
      throw new PatchError(`${path}: hunk at line ${hunk.oldStart} lands at the wrong new line ${hunk.newStart}`)
    }
    hunk.oldLines.forEach((expected, k) => {
      if (input[start + k] !== expected) throw new PatchError(`${path}: line ${start + k + 1} does not match the patch`)
    })
    output.push(...hunk.newLines)
    next = start + hunk.oldLines.length
  }
  output.push(...input.slice(next))
  return output.join('\n')
}
