import { spawnSync } from 'node:child_process'
import { hostname } from 'node:os'
import { describe, expect, test } from 'vitest'
import { currentProcess, processGone } from '../../../src/core/process-identity.js'
import { fileRecord, newRun, testRecord, useScratch } from './_fixtures.js'

const scratch = useScratch()

/** The pid of a process that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!
}

describe('a run whose process is gone', () => {
  test('processGone: this process is here, an exited one is gone, another machine cannot be told', () => {
    const here = currentProcess()
    expect(processGone(here)).toBe(false)
    expect(processGone({ ...here, pid: deadPid() })).toBe(true)
    // The same pid, started at another time: a reused pid, so the recording process is gone.
    expect(processGone({ ...here, startedAt: here.startedAt - 3_600_000 })).toBe(true)
    expect(processGone({ ...here, host: `${hostname()}-elsewhere` })).toBeNull()
    expect(processGone(undefined)).toBeNull()
  })

  test('reads as incomplete with the files it recorded, and is written so when a store is opened for writing', async () => {
    const dir = scratch.dir()
    const store = scratch.open(dir, { historyLimit: 10 })
    const killed = await store.beginRun(newRun({ id: 'killed', owner: { ...currentProcess(), pid: deadPid() } }))
    await store.recordFiles([fileRecord(killed.seq, 'a.test.ts', 'passed', 40, [testRecord('one', 'passed'), testRecord('two', 'failed')])])
    const alive = await store.beginRun(newRun({ id: 'alive', owner: currentProcess() }))
    expect(store.listRuns().map((run) => [run.id, run.status, run.files, run.tests, run.failed])).toEqual([
      ['killed', 'incomplete', 1, 2, 1],
      ['alive', 'running', 0, 0, 0],
    ])
    const settled = await store.settleAbandonedRuns(processGone)
    expect(settled.map((run) => run.id)).toEqual(['killed'])
    const reopened = scratch.open(dir, { historyLimit: 10, readOnly: true })
    expect(reopened.listRuns().find((run) => run.id === 'killed')).toMatchObject({ status: 'incomplete', files: 1, tests: 2 })
    expect(alive.status).toBe('running')
  })
})
