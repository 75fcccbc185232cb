/** Event-loop lag sampling, shared with membership (`@saorsa-gossip/types/runtime`). */
export { LagMonitor } from '@saorsa-gossip/types/runtime'
