import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Directory of flakeline's built code, for resolving modules from flakeline's own install. */
export const OWN_DIR = dirname(fileURLToPath(import.meta.url))
