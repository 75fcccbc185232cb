/**
 * SWIM and Lifeguard parameters with LAN, WAN and LOCAL presets. Every number names its source:
 * hashicorp/memberlist `config.go` (DefaultLANConfig, DefaultWANConfig, DefaultLocalConfig), the
 * SWIM paper (DSN 2002), the Lifeguard paper (arXiv:1707.00788), or our simulation runs
 * (packages/simulator/test/swim*.sim.test.ts).
 */
import { LIMITS } from '@saorsa-gossip/types'

export interface SwimConfig {
  /** Time between probes of one member each (SWIM protocol period T'). Scaled by local health. */
  readonly probeIntervalMs: number
  /** Wait for a direct ACK before asking helpers for indirect probes. Scaled by local health. */
  readonly ackTimeoutMs: number
  /**
   * A PING-REQ helper whose ping of the target got no ack sends its nack this long after the PING-REQ
   * arrived. It must fit, with the two one-way latencies, into the prober's indirect window
   * `probeIntervalMs - ackTimeoutMs` (unscaled, the shortest it gets), or every nack arrives after the
   * prober judged the round and each failed probe counts as the prober's own slowness.
   */
  readonly nackTimeoutMs: number
  /** Helpers asked with PING-REQ when the direct probe times out (SWIM k). */
  readonly indirectChecks: number
  /** Minimum suspicion timeout = alpha * max(1, log10(n)) * probe interval. */
  readonly suspicionAlpha: number
  /** Maximum suspicion timeout = beta * minimum (Lifeguard; only the minimum is used without Lifeguard). */
  readonly suspicionBeta: number
  /** Independent confirmations after which the suspicion timeout reaches its minimum (Lifeguard K). */
  readonly suspicionConfirmations: number
  /** Period of the gossip push of pending updates (0 turns it off: piggybacking only, as in SWIM 2002). */
  readonly gossipIntervalMs: number
  /** Random members each gossip push goes to. */
  readonly gossipFanout: number
  /** Each update is piggybacked `retransmitMult * ceil(log10(n + 1))` times (SWIM lambda). */
  readonly retransmitMult: number
  /** Upper bound of the Local Health Multiplier counter (Lifeguard S). */
  readonly maxHealth: number
  /** Updates piggybacked per PING, ACK or PING-REQ; at most LIMITS.maxSwimUpdates. */
  readonly maxUpdatesPerMessage: number
  /**
   * Lifeguard on: local health scaling, nacks, dynamic suspicion timeouts, buddy system and
   * late-timer awareness. Off: SWIM as in the 2002 paper with a fixed suspicion timeout.
   */
  readonly lifeguard: boolean
  /**
   * Local lag (`swim-lag.ts`, Lifeguard on only): a lag the driver reports at or below this widens
   * nothing; the ack timeout already absorbs the jitter of a shared machine.
   */
  readonly lagToleranceMs: number
  /**
   * While this node runs L ms late, the ack timeout, the protocol period and the suspicion timeout each
   * grow by `lagMultiplier * L`: the ack waits in our queue behind about L ms of work, and on a machine
   * (or process) whose peers share our load, the ping waited as long in theirs.
   */
  readonly lagMultiplier: number
  /**
   * The most any one timeout grows for local lag. It bounds how much later a really dead member is
   * declared while this node is late: at most three widenings (ack timeout, period, suspicion).
   */
  readonly maxLagWideningMs: number
}

/** Tuned for accuracy over speed on a LAN, like memberlist's DefaultLANConfig. */
export const SWIM_LAN: SwimConfig = Object.freeze({
  probeIntervalMs: 1000, // memberlist LAN ProbeInterval 1 s
  ackTimeoutMs: 500, // memberlist LAN ProbeTimeout 500 ms
  // memberlist nacks after the full ProbeTimeout, which lands just after the prober's 1 s period ends;
  // 350 ms leaves 150 ms of the 500 ms indirect window for the two hops (simulator: up to 50 ms each).
  nackTimeoutMs: 350,
  indirectChecks: 3, // memberlist LAN IndirectChecks 3 (SWIM paper k)
  suspicionAlpha: 4, // memberlist LAN SuspicionMult 4
  suspicionBeta: 6, // memberlist LAN SuspicionMaxTimeoutMult 6
  suspicionConfirmations: 2, // memberlist: k = SuspicionMult - 2
  gossipIntervalMs: 200, // memberlist LAN GossipInterval 200 ms
  gossipFanout: 3, // memberlist LAN GossipNodes 3
  retransmitMult: 4, // memberlist LAN RetransmitMult 4
  maxHealth: 8, // Lifeguard paper S = 8 (memberlist AwarenessMaxMultiplier 8)
  maxUpdatesPerMessage: LIMITS.maxSwimUpdates, // wire cap, SPEC.md section 3
  lifeguard: true, // Lifeguard paper: > 50x fewer false positives
  lagToleranceMs: 100, // a fifth of the 500 ms ack timeout: round trip plus jitter fit in the rest
  lagMultiplier: 2, // our queue and one more lagging queue (the prober's peer sharing our load)
  // 3 s: three protocol periods. A dead member is declared at most 3 x 3 s = 9 s later while we are
  // late; a loop later than 1.5 s for longer than that cannot serve its neighbours anyway.
  maxLagWideningMs: 3000,
})

/** Higher latency and loss between data centres, like memberlist's DefaultWANConfig. */
export const SWIM_WAN: SwimConfig = Object.freeze({
  ...SWIM_LAN,
  probeIntervalMs: 5000, // memberlist WAN ProbeInterval 5 s
  ackTimeoutMs: 3000, // memberlist WAN ProbeTimeout 3 s
  nackTimeoutMs: 1500, // indirect window 5 s - 3 s = 2 s, leaving 500 ms for the two hops
  suspicionAlpha: 6, // memberlist WAN SuspicionMult 6
  gossipIntervalMs: 500, // memberlist WAN GossipInterval 500 ms
  gossipFanout: 4, // memberlist WAN GossipNodes 4
  suspicionConfirmations: 4, // memberlist: k = SuspicionMult - 2
  lagToleranceMs: 600, // a fifth of the 3 s ack timeout, as on the LAN
  maxLagWideningMs: 10_000, // two WAN protocol periods: at most 30 s later for a dead member
})

/** Loopback or a single host: fast detection, like memberlist's DefaultLocalConfig. */
export const SWIM_LOCAL: SwimConfig = Object.freeze({
  ...SWIM_LAN,
  ackTimeoutMs: 200, // memberlist Local ProbeTimeout 200 ms
  nackTimeoutMs: 150, // 75% of the ack timeout; the indirect window is 800 ms
  indirectChecks: 1, // memberlist Local IndirectChecks 1
  suspicionAlpha: 3, // memberlist Local SuspicionMult 3
  gossipIntervalMs: 100, // memberlist Local GossipInterval 100 ms
  suspicionConfirmations: 1, // memberlist: k = SuspicionMult - 2
  retransmitMult: 2, // memberlist Local RetransmitMult 2
  lagToleranceMs: 40, // a fifth of the 200 ms ack timeout, as on the LAN
})

/** Throws a RangeError naming the first out-of-range field. */
export function validateSwimConfig(config: SwimConfig): SwimConfig {
  const positive = (name: keyof SwimConfig, min = 1, max = Number.MAX_SAFE_INTEGER): void => {
    const value = config[name]
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(`swim.${name} must be an integer in [${min}, ${max}], got ${String(value)}`)
    }
  }
  positive('probeIntervalMs')
  positive('ackTimeoutMs', 1, config.probeIntervalMs - 1)
  positive('nackTimeoutMs', 1, Math.min(config.ackTimeoutMs, config.probeIntervalMs - config.ackTimeoutMs - 1))
  positive('indirectChecks', 0, 16)
  positive('suspicionAlpha')
  positive('suspicionBeta')
  positive('suspicionConfirmations', 0, 16)
  positive('gossipIntervalMs', 0)
  positive('gossipFanout', 0, 16)
  positive('retransmitMult')
  positive('maxHealth', 0, 64)
  positive('maxUpdatesPerMessage', 0, LIMITS.maxSwimUpdates)
  positive('lagToleranceMs', 0)
  positive('lagMultiplier', 0, 16)
  positive('maxLagWideningMs', 0)
  if (typeof config.lifeguard !== 'boolean') throw new RangeError('swim.lifeguard must be a boolean')
  return config
}
