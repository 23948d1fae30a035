import type { TestModule, Vitest } from 'vitest/node'
import type { ConsoleEntry, StartedFile } from '../src/live/live-frames.js'
import { fileIdOf, relativeTestPath, typecheckProject } from '../src/identity.js'

/** A module's identity, as the recorder names files (a type-check module under its own project). */
export function startedFileOf(root: string, testModule: TestModule): StartedFile {
  const typecheck = (testModule as unknown as { task?: { meta?: { typecheck?: boolean } } }).task?.meta?.typecheck === true
  const project = typecheck ? typecheckProject(testModule.project.name) : testModule.project.name
  const path = relativeTestPath(root, testModule.moduleId)
  return { fileId: fileIdOf(project, path), project, path }
}

interface ReportedEntity {
  type: string
  moduleId?: string
  module?: TestModule
  fullName?: string
}

interface StateLookups {
  getReportedEntityById?: (id: string) => ReportedEntity | undefined
  getReportedEntity?: (task: unknown) => ReportedEntity | undefined
  idMap?: Map<string, unknown>
}

/** A console log of Vitest as a live console entry, with its file and test when Vitest knows them. */
export function consoleEntryOf(vitest: Vitest, root: string, log: { content: string; type: 'stdout' | 'stderr'; taskId?: string }): ConsoleEntry {
  const state = (vitest as unknown as { state?: StateLookups }).state
  let entity: ReportedEntity | undefined
  if (log.taskId && state) {
    // Vitest 4 has getReportedEntityById; Vitest 3 maps the id to a task first.
    entity = state.getReportedEntityById?.(log.taskId) ?? state.getReportedEntity?.(state.idMap?.get(log.taskId))
  }
  const module = entity?.type === 'module' ? (entity as unknown as TestModule) : entity?.module
  const file = module ? startedFileOf(root, module) : null
  return { stream: log.type, text: log.content, fileId: file?.fileId ?? null, path: file?.path ?? null, test: entity?.type === 'test' ? (entity.fullName ?? null) : null }
}
