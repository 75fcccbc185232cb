/**
 * Presets of the rendezvous layer (memberlist style: every number says where it comes from). The
 * defaults and their reasons are in `proto/config.ts`; presets change only what a network changes.
 * The request limits are the same in every preset: they bound the work and bytes one request costs
 * a node, which do not depend on the network.
 */
import { DEFAULT_RENDEZVOUS_CONFIG, type RendezvousConfig } from './proto/config.ts'

/** LAN: the defaults (a query round trip is milliseconds; 2 s covers verification of a full page). */
export const RENDEZVOUS_LAN: RendezvousConfig = DEFAULT_RENDEZVOUS_CONFIG

/** WAN: a page may cross continents twice and wait behind bulk traffic: 5 s before giving up. */
export const RENDEZVOUS_WAN: RendezvousConfig = Object.freeze({ ...DEFAULT_RENDEZVOUS_CONFIG, queryTimeoutMs: 5_000 })

/** LOCAL (one host, tests): replies are immediate, so a lost one is known after 500 ms. */
export const RENDEZVOUS_LOCAL: RendezvousConfig = Object.freeze({ ...DEFAULT_RENDEZVOUS_CONFIG, queryTimeoutMs: 500, leaveGraceMs: 5_000 })
