/**
 * PubSub presets for the network a node runs on, as memberlist's DefaultLAN/WAN/LocalConfig and the
 * membership presets beside them: only the timers that follow the round-trip time differ; caches,
 * rate limits and scoring stay at DEFAULT_CONFIG (proto/config.ts), whose numbers name their sources.
 */
import { DEFAULT_CONFIG, type PubSubConfig } from './config.ts'

/** A LAN or a data centre (round trips under a few ms): iroh-gossip's own Plumtree timers. */
export const PUBSUB_LAN: PubSubConfig = DEFAULT_CONFIG

/** The internet (round trips 50-300 ms, occasional loss). */
export const PUBSUB_WAN: PubSubConfig = Object.freeze({
  ...DEFAULT_CONFIG,
  // The eager copy trails its IHAVE by up to a round trip on the longer path; grafting sooner
  // pulls duplicates over intercontinental links.
  graftTimeout1Ms: 400,
  // One WAN round trip for the grafted announcer to answer before the next one is asked.
  graftTimeout2Ms: 250,
  // Batching 20 ms of ids costs nothing against 100 ms latencies and sends fewer, fuller IHAVEs.
  ihaveFlushMs: 20,
  // A key fetch is one round trip to the forwarder; 5 s leaves room for loss and retransmission.
  keyRequestTimeoutMs: 5_000,
  // A validator that itself asks the network (a rendezvous or coordinator lookup) needs round trips too.
  validationTimeoutMs: 5_000,
})

/** Loopback or one host (tests, demos): round trips below 1 ms, bandwidth free. */
export const PUBSUB_LOCAL: PubSubConfig = Object.freeze({
  ...DEFAULT_CONFIG,
  // Loopback delivers the eager copy within a millisecond or two: a missing one is lost, not late.
  graftTimeout1Ms: 30,
  graftTimeout2Ms: 15,
  ihaveFlushMs: 2,
  // Frequent rounds make late joiners and restarted nodes catch up within seconds in local runs.
  antiEntropyIntervalMs: 5_000,
  // The forwarder answers a key request within a millisecond locally.
  keyRequestTimeoutMs: 500,
})
