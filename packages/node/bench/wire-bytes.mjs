/**
 * Socket-level byte counting for the comparison benchmark: every TCP socket of the process (client
 * sockets through `connect`, server sockets through the `connection` event) is tracked, and the
 * wire total is the sum of their `bytesWritten`. The same counter serves both stacks, so neither
 * library's own accounting is trusted.
 */
import net from 'node:net'

const sockets = new Set()
const connect = net.Socket.prototype.connect
net.Socket.prototype.connect = function trackedConnect(...args) {
  sockets.add(this)
  return connect.apply(this, args)
}
const serverEmit = net.Server.prototype.emit
net.Server.prototype.emit = function trackedEmit(event, ...args) {
  if (event === 'connection' && args[0] instanceof net.Socket) sockets.add(args[0])
  return serverEmit.call(this, event, ...args)
}

/** Bytes written to all TCP sockets of this process so far. */
export function wireBytes() {
  let total = 0
  for (const s of sockets) total += s.bytesWritten ?? 0
  return total
}
