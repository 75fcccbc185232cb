/**
 * `saorsa-gossip crdt ...`: replicated documents on the running node (SPEC.md section 12.8), through
 * the control methods `crdt.*`. Every edit returns once it is on the node's disk and has gone to the
 * document's topic; `crdt watch` prints the document each time it changes, locally or remotely.
 */
import { controlRequest, controlStream } from '../../control/client.ts'
import { NoNodeRunningError } from '../../errors.ts'
import { UsageError, type CommandSpec } from '../args.ts'
import type { CliContext } from '../context.ts'
import { EXIT } from '../exit-codes.ts'
import { resolveGroupArg } from '../group-names.ts'

const TYPES = ['set', 'map', 'register', 'counter', 'text'] as const

interface DocView { doc: string; type: (typeof TYPES)[number]; value: unknown; change?: 'current' | 'local' | 'remote' }

function render(v: DocView): string {
  const show = (x: unknown) => (typeof x === 'string' ? x : JSON.stringify(x))
  switch (v.type) {
    case 'text': return v.value as string
    case 'set': return (v.value as string[]).join('\n')
    case 'map': return Object.entries(v.value as Record<string, unknown>).map(([k, x]) => `${k}=${show(x)}`).join('\n')
    default: return show(v.value)
  }
}

function typeOption(values: Record<string, unknown>, required: boolean): string | undefined {
  const t = values['type']
  if (t === undefined) {
    if (required) throw new UsageError(`--type is required (${TYPES.join(', ')})`)
    return undefined
  }
  if (typeof t !== 'string' || !(TYPES as readonly string[]).includes(t)) throw new UsageError(`--type must be one of ${TYPES.join(', ')}`)
  return t
}

function nonNegative(text: string | undefined, name: string): number {
  const n = Number(text)
  if (text === undefined || !/^\d+$/.test(text) || !Number.isSafeInteger(n)) throw new UsageError(`<${name}> must be a non-negative integer`)
  return n
}

const typeFlag = { type: { type: 'string' as const, short: 't', description: `document type, to open it if it is not open: ${TYPES.join(', ')}`, valueName: 'type' } }

/** One edit command: its positionals become the `crdt.edit` parameters. */
function edit(verb: string, summary: string, positionals: string[], params: (p: string[]) => Record<string, unknown>): CommandSpec<CliContext> {
  return {
    path: ['crdt', verb],
    summary,
    positionals: ['doc', ...positionals],
    async run(ctx, { positionals: p }) {
      const [doc, ...rest] = p
      const r = (await controlRequest(ctx.layout.controlSocket, 'crdt.edit', { doc, ...params(rest) }, { signal: ctx.io.interrupt })) as DocView
      ctx.out.result(render(r), r)
      return EXIT.ok
    },
  }
}

export const crdtCommands: CommandSpec<CliContext>[] = [
  {
    path: ['crdt', 'open'],
    summary: 'Open (or create) a replicated document on the running node; it is reopened when the node restarts',
    positionals: ['doc'],
    options: {
      ...typeFlag,
      group: { type: 'string', short: 'g', description: 'bind the document to one of this node\'s groups: only members read it (SPEC 12.7)', valueName: 'group' },
    },
    details: 'Examples:\n  saorsa-gossip crdt open shopping --type set\n  saorsa-gossip crdt open essay --type text --group team\n' +
      'A group is a name given with `group create <name>` or 8+ hex digits of its id; every member opens the document with it.',
    async run(ctx, { positionals, values }) {
      const type = typeOption(values, true)
      const group = values.group === undefined ? undefined : await resolveGroupArg(ctx.layout.groupNamesFile, values.group as string)
      const params = { doc: positionals[0], type, ...(group === undefined ? {} : { group }) }
      const r = (await controlRequest(ctx.layout.controlSocket, 'crdt.open', params, { signal: ctx.io.interrupt })) as DocView
      ctx.out.result(`Opened ${r.type} '${r.doc}'${group === undefined ? '' : ` in group ${group.slice(0, 8)}`}`, r)
      return EXIT.ok
    },
  },
  edit('set', 'Set a key of a map document to a text value', ['key', 'value'], ([key, value]) => ({ type: 'map', op: 'set', key, value })),
  edit('unset', 'Delete a key of a map document', ['key'], ([key]) => ({ type: 'map', op: 'delete', key })),
  edit('assign', 'Assign the value of a register document', ['value'], ([value]) => ({ type: 'register', op: 'assign', value })),
  edit('add', 'Add an element to a set document', ['element'], ([element]) => ({ type: 'set', op: 'add', element })),
  edit('remove', 'Remove an element from a set document (the adds this node has seen)', ['element'], ([element]) => ({ type: 'set', op: 'remove', element })),
  edit('incr', 'Add to a counter document (default 1)', ['n?'], ([n]) => ({ type: 'counter', op: 'add', by: n === undefined ? 1 : nonNegative(n, 'n') })),
  edit('decr', 'Subtract from a counter document (default 1)', ['n?'], ([n]) => ({ type: 'counter', op: 'add', by: -(n === undefined ? 1 : nonNegative(n, 'n')) })),
  edit('insert', 'Insert text into a text document at a character position', ['at', 'text'], ([at, text]) => ({ type: 'text', op: 'insert', at: nonNegative(at, 'at'), text })),
  edit('delete', 'Delete characters of a text document', ['at', 'length'], ([at, length]) => ({ type: 'text', op: 'delete', at: nonNegative(at, 'at'), length: nonNegative(length, 'length') })),
  {
    path: ['crdt', 'get'],
    summary: 'Print a document (text as text, a set one element per line, a map as key=value)',
    positionals: ['doc'],
    options: typeFlag,
    async run(ctx, { positionals, values }) {
      const type = typeOption(values, false)
      const r = (await controlRequest(ctx.layout.controlSocket, 'crdt.get', { doc: positionals[0], ...(type === undefined ? {} : { type }) }, { signal: ctx.io.interrupt })) as DocView
      ctx.out.result(render(r), r)
      return EXIT.ok
    },
  },
  {
    path: ['crdt', 'watch'],
    summary: 'Print a document now and after every change, until interrupted',
    positionals: ['doc'],
    options: { ...typeFlag, count: { type: 'string', short: 'n', description: 'exit after this many prints', valueName: 'n' } },
    async run(ctx, { positionals, values }) {
      const type = typeOption(values, false)
      const count = values['count'] === undefined ? Infinity : Number(values['count'])
      if (!(count === Infinity || (Number.isSafeInteger(count) && count > 0))) throw new UsageError('--count must be a positive integer')
      let printed = 0
      const stop = new AbortController()
      const onInterrupt = () => stop.abort()
      ctx.io.interrupt.addEventListener('abort', onInterrupt, { once: true })
      try {
        for await (const raw of controlStream(ctx.layout.controlSocket, 'crdt.watch', { doc: positionals[0], ...(type === undefined ? {} : { type }) }, { signal: stop.signal })) {
          const v = raw as DocView
          ctx.out.event(`--- ${v.doc} (${v.change === 'current' ? 'now' : `${v.change ?? 'remote'} change`})\n${render(v)}`, v)
          if (++printed >= count) stop.abort()
        }
      } finally {
        ctx.io.interrupt.removeEventListener('abort', onInterrupt)
      }
      if (ctx.io.interrupt.aborted && printed < count) return EXIT.interrupted
      if (!stop.signal.aborted) throw new NoNodeRunningError(`the node stopped after ${printed} change${printed === 1 ? '' : 's'}`)
      return EXIT.ok
    },
  },
  {
    path: ['crdt', 'sync'],
    summary: 'Run an anti-entropy round for a document now instead of at the next period',
    positionals: ['doc'],
    async run(ctx, { positionals }) {
      const r = await controlRequest(ctx.layout.controlSocket, 'crdt.sync', { doc: positionals[0] }, { signal: ctx.io.interrupt })
      ctx.out.result(`Anti-entropy round started for '${positionals[0]}'`, r)
      return EXIT.ok
    },
  },
  {
    path: ['crdt', 'list'],
    summary: 'List the documents open on the running node',
    async run(ctx) {
      const docs = (await controlRequest(ctx.layout.controlSocket, 'crdt.list', {}, { signal: ctx.io.interrupt })) as Array<{ doc: string; type: string }>
      ctx.out.result(docs.length === 0 ? 'No documents' : docs.map((d) => `${d.doc}  ${d.type}`).join('\n'), docs)
      return EXIT.ok
    },
  },
]
