#!/usr/bin/env node
// The `saorsa-coordinator` command. A committed launcher (rather than a bin entry pointing into dist/)
// lets package managers link the command at install time, before the TypeScript build has run.
import '../dist/cli/coordinator-bin.js'
