import { ErrorCodes, FlakelineError, asFlakelineError } from '../errors.js'
import { loadOptions } from '../config/load-options.js'
import { HistoryStore } from '../store/history-store.js'
import { planOrder, type PlannedFile } from '../scheduling/plan-order.js'
import { Notices } from './notices.js'

/** One notice stream per process, so "using the default order" is said once even in watch mode. */
const processNotices = new Notices()

export interface PlanRequest {
  /** The package root (see `findPackageRoot`): the store and config file are found there. */
  root: string
  /** Identities of the files to order (`fileIdOf`). */
  fileIds: readonly string[]
  /** Options given in code (the sequencer factory's argument). */
  inline?: unknown
  /** Runner name for messages. */
  runner: string
  notices?: Notices
}

/**
 * The runner-neutral core of both sequencers. Returns the plan, or null when the runner's default
 * order should be used (no history, flakeline disabled, or the store unusable: then it says why
 * once). Rejects only in strict mode.
 */
export async function planRun(request: PlanRequest): Promise<PlannedFile[] | null> {
  const notices = request.notices ?? processNotices
  const { options, problems } = await loadOptions(request.root, request.inline)
  for (const problem of problems) {
    if (options.strict) throw problem
    notices.warn(problem)
  }
  if (!options.enabled) return null
  if (!HistoryStore.exists(options.dir)) {
    notices.info(`no history yet in ${options.dir}; using ${request.runner}'s default order this run`)
    return null
  }
  let store: HistoryStore | undefined
  try {
    store = HistoryStore.open(options.dir, { historyLimit: options.historyLimit })
    const evidence = store.planEvidence()
    if (evidence.size === 0) {
      notices.info(`no history yet in ${options.dir}; using ${request.runner}'s default order this run`)
      return null
    }
    return planOrder(request.fileIds, evidence)
  } catch (error) {
    const cause = asFlakelineError(error, ErrorCodes.SEQUENCER, 'unexpected failure')
    const detail = cause.code === ErrorCodes.SEQUENCER ? cause.message : `${cause.code}: ${cause.message}`
    const wrapped = new FlakelineError(ErrorCodes.SEQUENCER, `cannot plan the order (${detail}); using ${request.runner}'s default order`, { cause })
    if (options.strict) throw wrapped
    notices.warn(wrapped)
    return null
  } finally {
    await store?.close()
  }
}
