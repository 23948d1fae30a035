import type { Reporter, TestModule, TestRunEndReason, TestSpecification } from 'vitest/node'

/** Prefix of the lines the demo reads from its child Vitest process. */
export const PROGRESS_PREFIX = '@@flakeline-demo '

function emit(event: Record<string, unknown>): void {
  process.stdout.write(`${PROGRESS_PREFIX}${JSON.stringify(event)}\n`)
}

/** A Vitest reporter that tells the demo what happens, one JSON line per event. */
export default class DemoProgressReporter implements Reporter {
  onTestRunStart(specifications: ReadonlyArray<TestSpecification>): void {
    emit({ type: 'start', files: specifications.length })
  }

  /** Files start in the order the sequencer dispatched them (spec order is before sorting). */
  onTestModuleStart(testModule: TestModule): void {
    emit({ type: 'file-start', path: testModule.moduleId })
  }

  onTestModuleEnd(testModule: TestModule): void {
    let passed = 0
    let failed = 0
    for (const test of testModule.children.allTests()) {
      const state = test.result().state
      if (state === 'passed') passed++
      else if (state === 'failed') failed++
    }
    emit({ type: 'file', path: testModule.moduleId, state: testModule.state(), passed, failed })
  }

  onTestRunEnd(_modules: ReadonlyArray<TestModule>, _errors: unknown, reason: TestRunEndReason): void {
    emit({ type: 'end', reason })
  }
}
