import { afterAll, describe, expect, test } from 'vitest'
import { createProject, readStore, removeProjects, runRunner } from './harness.js'

afterAll(removeProjects)

describe.each(['jest29', 'jest30'] as const)('%s with ts-jest', (install) => {
  test('records TypeScript tests with the reporter options given in jest.config', async () => {
    const dir = createProject(install, 'jest-ts')
    const result = await runRunner(install, dir)
    expect(result.code).toBe(1)
    const [stored] = await readStore(dir)
    const { run, files } = stored!
    expect(run).toMatchObject({ runner: 'jest', files: 2, tests: 5, passed: 3, failed: 1, todo: 1 })
    const failure = files.flatMap((file) => file.tests).find((test) => test.status === 'failed')!
    expect(failure.name).toBe('BoundedQueue under load > counts items after overflow')
    // maxMessageLength: 500 in the fixture's reporter options.
    expect(failure.failureMessage!.length).toBeLessThanOrEqual(500 + ' (99999 more characters)'.length + 1)
    expect(failure.failureMessage).toContain('Expected: 3')
  })
})
