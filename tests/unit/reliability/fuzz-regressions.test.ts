// What the fuzz benchmark (tests/bench/fuzz.bench.ts) found, one case each: every input is
// accepted or refused with a code, messages are bounded and escaped, and what is accepted can be used.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Packr } from 'msgpackr'
import { describe, expect, test } from 'vitest'
import { decodeBundle } from '../../../src/bundle/bundle-format.js'
import { loadOptions } from '../../../src/config/load-options.js'
import { validateOptions } from '../../../src/config/options.js'
import { ErrorCodes, FlakelineError } from '../../../src/errors.js'
import { toImportedRun } from '../../../src/history-import/history-run.js'
import { junitRun } from '../../../src/history-import/junit-history.js'
import { NdjsonHistoryParser } from '../../../src/history-import/ndjson-history.js'
import { distinctTestNames } from '../../../src/identity.js'
import { recordProblem } from '../../../src/store/record-checks.js'
import { ChannelLog } from '../../../src/transport/channel-log.js'
import { frameHeaderLength, writeFrameHeader } from '../../../src/transport/frame-bytes.js'
import { FrameCodec, decodePayload, encodePayload } from '../../../src/transport/frame-codec.js'
import { MAX_PAYLOAD_DEPTH, scanFrames } from '../../../src/transport/frame-scan.js'
import { DATA_CHANNELS, type DataChannel } from '../../../src/transport/protocol.js'
import { SubscriberQueue } from '../../../src/transport/subscriber-queue.js'
import { packedBundle, sampleBundle } from '../bundle/_bundle.js'
import { useScratch } from '../core/_fixtures.js'

const scratch = useScratch()
const ROOT = '/work/project'
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/

function refusal(action: () => unknown): FlakelineError {
  try {
    action()
  } catch (error) {
    expect(error).toBeInstanceOf(FlakelineError)
    return error as FlakelineError
  }
  throw new Error('expected a FlakelineError')
}

/** A results frame `[channel, seq, type, payload]` around raw payload bytes. */
function frameWith(payload: number[]): Uint8Array {
  const header = frameHeaderLength('results', 1, 'test')
  const bytes = new Uint8Array(header + payload.length)
  writeFrameHeader(bytes, 0, 'results', 1, 'test')
  bytes.set(payload, header)
  return bytes
}

describe("the hub's scanner accepts only payloads its subscribers decode", () => {
  test.each([
    ['an Error extension, which reads the value after it', [0xd4, 0x65, 0xc0, 0x91, 0x01]],
    ['a RegExp extension', [0xd4, 0x78, 0x92, 0xa1, 0x28, 0xc0]],
    ['a Set extension', [0xd4, 0x73, 0x91, 0x01]],
    ['a typed array of a length it cannot have', [0xd5, 0x74, 0x05, 0x01]],
    ['a reference to nothing', [0xd6, 0x70, 0, 0, 0, 9]],
    ['an unknown extension', [0xd4, 0x33, 0x00]],
    ['a map whose key is an array', [0x81, 0x91, 0x01, 0x02]],
    ['a map whose key is binary data', [0x81, 0xc4, 0x01, 0x61, 0x02]],
  ])('%s is refused with FLAKELINE_E_PROTOCOL', (_what, payload) => {
    expect(refusal(() => scanFrames(frameWith(payload))).code).toBe(ErrorCodes.PROTOCOL)
  })

  test('undefined and timestamps, which msgpackr writes for plain values, are accepted and decode', () => {
    const payload = Array.from(encodePayload({ gone: undefined, at: new Date(0) }))
    const [frame] = scanFrames(frameWith(payload))
    expect(decodePayload(Uint8Array.from(payload))).toEqual({ gone: undefined, at: new Date(0) })
    expect(frame!.payloadEnd - frame!.payloadStart).toBe(payload.length)
  })

  test(`nesting is bounded at ${MAX_PAYLOAD_DEPTH} levels, below what decoding and re-encoding as records can take`, () => {
    let deepest: unknown = 1
    for (let level = 0; level < MAX_PAYLOAD_DEPTH; level++) deepest = [deepest]
    const [frame] = scanFrames(frameWith(Array.from(encodePayload(deepest))))
    expect(frame!.type).toBe('test')
    expect(new FrameCodec().decode(new FrameCodec({ records: true }).encode([['results', 1, 'test', deepest]]))[0]![3]).toEqual(deepest)
    expect(refusal(() => scanFrames(frameWith(Array.from(encodePayload([deepest])))))).toMatchObject({ code: ErrorCodes.PROTOCOL })
    expect(refusal(() => scanFrames(frameWith(new Array<number>(5_000).fill(0x91))))).toMatchObject({ code: ErrorCodes.PROTOCOL })
  })

  test('a seq written as a uint64 is refused by the scanner as by the decoder', () => {
    const message = Uint8Array.from([0x94, 0xa7, ...Buffer.from('results'), 0xcf, 0, 0, 0, 0, 0, 0, 0, 1, 0xa4, ...Buffer.from('test'), 0xc0])
    expect(refusal(() => new FrameCodec().decode(message)).code).toBe(ErrorCodes.PROTOCOL)
    expect(refusal(() => scanFrames(message)).code).toBe(ErrorCodes.PROTOCOL)
  })

  test('a header field that is a 64-bit integer or a long string makes a bounded protocol error', () => {
    const packr = new Packr({ useRecords: false })
    expect(refusal(() => new FrameCodec().decode(packr.pack([2n ** 63n, 1, 'x', null]))).message).toContain('unknown channel 9223372036854775808')
    const long = refusal(() => new FrameCodec().decode(packr.pack(['run', 1, `bad\u009b${'x'.repeat(10_000)}`, null]))).message
    expect(long.length).toBeLessThan(200)
    expect(long).not.toMatch(RAW_CONTROL)
  })

  test("console frames whose payloads are not maps are sent as they came when a lagging subscriber's lines are joined", () => {
    const logs = new Map<DataChannel, ChannelLog>(DATA_CHANNELS.map((channel) => [channel, new ChannelLog(channel, { maxFrames: 100, maxBytes: 1 << 20 })]))
    const payloads = [null, undefined, 7, ['text'], { run: 'r', text: 'a\n', coalesced: 'many' }, { run: 'r', text: 'b\n' }]
    payloads.forEach((payload, order) => logs.get('console')!.append('line', payload, encodePayload(payload), order))
    const queue = new SubscriberQueue(logs, { maxLagFrames: 100, maxConsoleLag: 100, coalesceConsoleLag: 0 })
    queue.subscribe('console', 0)
    const sent = queue.take(1 << 20)
    expect(sent.map((frame) => frame.payload)).toEqual([null, undefined, 7, ['text'], { run: 'r', text: 'a\nb\n', coalesced: 2 }])
  })
})

describe('importers', () => {
  test('100,000 tests of one title are told apart in one pass', () => {
    const names = distinctTestNames([...new Array<string>(100_000).fill('t'), 't (2)'])
    expect(names.slice(0, 3)).toEqual(['t', 't (3)', 't (4)'])
    expect(new Set(names).size).toBe(100_001)
  })

  test('a JUnit suite timestamp before 1970 or past the year 9999 is left out, so doctor accepts the run', () => {
    for (const timestamp of ['1960-06-01T00:00:00', '+275760-09-13T00:00:00']) {
      const run = junitRun([{ name: 'r.xml', xml: `<testsuite name="tests/a.test.ts" timestamp="${timestamp}"><testcase name="t" time="5"/></testsuite>` }], { root: ROOT })
      expect(run.startedAt).toBeNull()
      const { run: record } = toImportedRun(run, Date.UTC(2026, 0, 1))
      expect(recordProblem('runs', 1, { ...record, seq: 1 })).toBeNull()
    }
  })

  test('NDJSON refuses a start past 9999, control characters in a project or commit, and file ids the store cannot key', () => {
    const line = (fields: Record<string, unknown>): string => JSON.stringify({ run: 'r1', file: 'tests/a.test.ts', status: 'passed', ...fields })
    const push = (text: string): FlakelineError => refusal(() => new NdjsonHistoryParser('h.ndjson', { root: ROOT }).push(text, 1))
    expect(push(line({ startedAt: 8.64e15 })).message).toContain('from 1970 to 9999')
    for (const field of ['project', 'commit']) expect(push(line({ [field]: 'a\u0007b' }))).toMatchObject({ code: ErrorCodes.IMPORT })
    expect(push(line({ project: 'p'.repeat(600), file: `tests/${'f'.repeat(600)}.ts` }))).toMatchObject({ code: ErrorCodes.IMPORT_LIMIT })
    expect(refusal(() => junitRun([{ name: 'r.xml', xml: `<testsuite><testcase name="t" file="tests/${'é'.repeat(600)}.ts"/></testsuite>` }], { root: ROOT }))).toMatchObject({ code: ErrorCodes.IMPORT_LIMIT })
    expect(push(`{"run": "\u0085${'x'.repeat(5_000)}`).message).not.toMatch(RAW_CONTROL)
  })

  test('XML names and values in messages are bounded and escaped', () => {
    for (const xml of [`<testsuite></testsuite\u0007${'x'.repeat(9_000)}>`, `<testsuite><testcase name="t" file="tests/a.test.ts" time="\u009b1"/></testsuite>`, `<t${'x'.repeat(1_000)}\u2028>`]) {
      const { message } = refusal(() => junitRun([{ name: 'r.xml', xml }], { root: ROOT }))
      expect(message.length).toBeLessThan(300)
      expect(message).not.toMatch(RAW_CONTROL)
    }
  })
})

describe('options', () => {
  test('objects whose reading throws, and revoked proxies, are coded problems', () => {
    const { proxy, revoke } = Proxy.revocable({}, {})
    revoke()
    const inputs = [
      Object.defineProperty({}, 'historyLimit', { enumerable: true, get: () => { throw new Error('no') } }),
      new Proxy({}, { ownKeys: () => { throw new Error('no') } }),
      proxy,
      { serve: proxy, deadlines: new Proxy({}, { ownKeys: () => { throw new Error('no') } }) },
    ]
    for (const input of inputs) {
      const { problems } = validateOptions(input, 'options')
      expect(problems.length).toBeGreaterThan(0)
      for (const problem of problems) expect(problem.code).toBe(ErrorCodes.CONFIG)
    }
  })

  test("Object's own names are unknown options, and a glob that makes no regular expression is refused", () => {
    const { options, problems } = validateOptions(JSON.parse('{"constructor": 1, "__proto__": 2, "hasOwnProperty": 3, "deadlines": {"[z-a]": "1s"}, "quarantine": ["tests/[9-0].ts"]}'), 'options')
    expect(options).toEqual({})
    expect(problems.map((problem) => problem.message)).toEqual([
      expect.stringContaining('options: unknown option "constructor"'),
      expect.stringContaining('options: unknown option "__proto__"'),
      expect.stringContaining('options: unknown option "hasOwnProperty"'),
      expect.stringContaining('options.deadlines["[z-a]"] is not a usable glob: it has a character class that is not valid'),
      expect.stringContaining('options.quarantine[0] is not a usable glob: it has a character class that is not valid'),
    ])
  })

  test('a config module exporting a thenable or a revoked proxy still loads, with a coded problem', async () => {
    for (const [source, code] of [
      ['export default { then() {}, historyLimit: 7 }', ErrorCodes.CONFIG],
      ['const { proxy, revoke } = Proxy.revocable({}, {}); revoke(); export default proxy', ErrorCodes.CONFIG],
    ] as const) {
      const root = scratch.dir()
      writeFileSync(join(root, 'flakeline.config.mjs'), source)
      const { options, problems } = await loadOptions(root, undefined, {})
      expect(problems.map((problem) => problem.code)).toEqual([code])
      expect(options.historyLimit).toBe(source.includes('historyLimit') ? 7 : 200)
    }
  })

  test('values in problems are bounded and escaped, and a hub URL keeps its token to itself', () => {
    const { problems } = validateOptions({ runId: `\u009b${'x'.repeat(100_000)}`, [`k\u001b${'y'.repeat(5_000)}`]: 1, hub: 'http://h/?token=SECRET_VALUE_42' }, 'options')
    for (const { message } of problems) {
      expect(message.length).toBeLessThan(1_000)
      expect(message).not.toMatch(RAW_CONTROL)
      expect(message).not.toContain('SECRET_VALUE_42')
    }
  })
})

test('a bundle value holding C1 control characters is shown escaped', () => {
  const bundle = sampleBundle()
  ;(bundle.runs[0]!.files as unknown[])[0] = 'file\u009b\u0085'
  const { message } = refusal(() => decodeBundle(packedBundle(bundle), 'b.bundle'))
  expect(message).toContain('must be an object, got "file\\u009b\\u0085"')
})
