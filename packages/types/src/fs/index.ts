/**
 * Small persistent state on disk, shared by every layer (docs/architecture.md, persistence): atomic
 * replacement (temp file, fsync, rename, fsync of the directory), reads that refuse anything but a
 * regular file of bounded size without ever blocking on a FIFO or device, and clean-up of the temp
 * files an interrupted writer left behind. Node-only: import it as `@saorsa-gossip/types/fs`.
 */
export { writeFileAtomic, type AtomicWriteOptions } from './atomic.ts'
export { readRegularFile, FileRefusedError, type ReadRegularFileOptions } from './read.ts'
export { removeStaleTempFiles, tempFilePattern, type StaleTempOptions } from './temp.ts'
