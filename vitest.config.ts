/**
 * Vitest root options that apply across the projects of vitest.workspace.ts: files start slowest
 * first (scripts/test/slow-first.ts), so the last minutes of a run do not leave a core idle beside
 * one long file.
 */
import { defineConfig } from 'vitest/config'
import { SlowFirstSequencer } from './scripts/test/slow-first.ts'

export default defineConfig({ test: { sequence: { sequencer: SlowFirstSequencer } } })
