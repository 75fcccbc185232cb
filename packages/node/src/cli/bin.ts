#!/usr/bin/env node
/** The `saorsa-gossip` executable. */
import { main } from './main.ts'
import { runProcess } from './process.ts'

await runProcess(main)
