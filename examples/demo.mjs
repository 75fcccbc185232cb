#!/usr/bin/env node
/**
 * `npx pnpm@10 demo`: the post-quantum identity walkthrough (examples/identity.mjs): two ML-DSA-65
 * identities, signatures checked across both backends, tampering rejected. Exits 0 only if every
 * printed check held.
 */
import './identity.mjs'
