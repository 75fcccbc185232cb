/**
 * The attacker of the edge tests, run in a child process so its own socket work does not slow the
 * victim's event loop (as it would not in reality) and the test process's CPU figure is the victim's
 * and the honest peers'. Two modes over loopback TCP from many 127.0.x.y source addresses: silent
 * sockets (reopened a while after the victim closes them), and a flood of first handshake messages.
 */
import { spawn, type ChildProcess } from 'node:child_process'

export type AttackPlan =
  | { mode: 'silent'; port: number; count: number; sources: number; subnet: number; reopenMs: number }
  /** `m1Hex` is the length-prefixed M1 as written on the pipe; a counter is written at `nonceAt` (inside the nonce) in each copy. */
  | { mode: 'flood'; port: number; perSecond: number; sources: number; subnet: number; m1Hex: string; nonceAt: number; lifeMs: number; durationMs: number }

const SCRIPT = `
const net = await import('node:net')
const plan = JSON.parse(process.argv[1])
const source = (i) => '127.0.' + plan.subnet + '.' + (1 + (i % plan.sources))
let live = 0
let sent = 0
const report = () => process.stdout.write(JSON.stringify({ live, sent }) + '\\n')
if (plan.mode === 'silent') {
  let stopped = false
  process.on('message', () => {})
  const open = (i) => {
    if (stopped) return
    const s = net.connect({ host: '127.0.0.1', port: plan.port, localAddress: source(i) })
    live++; sent++
    s.on('error', () => {})
    s.on('close', () => { live--; setTimeout(() => open(i), plan.reopenMs) })
  }
  for (let i = 0; i < plan.count; i++) setTimeout(() => open(i), Math.floor(i / 50) * 10)
  setInterval(report, 100)
} else {
  const m1 = Buffer.from(plan.m1Hex, 'hex')
  const started = Date.now()
  const timer = setInterval(() => {
    if (Date.now() - started >= plan.durationMs) { clearInterval(timer); report(); process.exit(0) }
    for (let k = 0; k < plan.perSecond / 50; k++) {
      const copy = Buffer.from(m1)
      copy.writeUInt32BE(sent, plan.nonceAt)
      const s = net.connect({ host: '127.0.0.1', port: plan.port, localAddress: source(sent) })
      live++; sent++
      s.on('error', () => {})
      s.on('connect', () => s.write(copy))
      s.on('close', () => { live-- })
      setTimeout(() => s.destroy(), plan.lifeMs)
    }
  }, 20)
  setInterval(report, 100)
}
`

/** Polls `predicate` every 20 ms (without spinning the event loop) until it holds or `timeoutMs` passes. */
export async function eventually(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error('condition not reached')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

export interface Attacker { readonly live: number; readonly sent: number; readonly done: Promise<void>; stop(): void }

export function startAttacker(plan: AttackPlan): Attacker {
  // At the lowest priority: a real attacker runs elsewhere, so it should not take the victim's CPU here.
  const child: ChildProcess = spawn('nice', ['-n', '19', process.execPath, '--input-type=module', '-e', SCRIPT, JSON.stringify(plan)], { stdio: ['ignore', 'pipe', 'inherit'] })
  const state = { live: 0, sent: 0 }
  let buffered = ''
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString()
    const lines = buffered.split('\n')
    buffered = lines.pop()!
    for (const line of lines) Object.assign(state, JSON.parse(line) as typeof state)
  })
  const done = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  return {
    get live() { return state.live },
    get sent() { return state.sent },
    done,
    stop: () => { child.kill('SIGKILL') },
  }
}
