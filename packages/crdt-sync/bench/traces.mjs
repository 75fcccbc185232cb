/** Loads an editing trace from josephg/editing-traces (CC BY 4.0; credit: M. Kleppmann, J. Gentle). */
import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'

const TRACES = process.env.TRACES_DIR ?? '/work/shared/data/editing-traces'

export function loadTrace(name) {
  return JSON.parse(gunzipSync(readFileSync(`${TRACES}/${name}.json.gz`)).toString('utf8'))
}
