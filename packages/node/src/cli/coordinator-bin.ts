#!/usr/bin/env node
/** The `saorsa-coordinator` executable. */
import { coordinatorMain } from './coordinator-main.ts'
import { runProcess } from './process.ts'

await runProcess(coordinatorMain)
