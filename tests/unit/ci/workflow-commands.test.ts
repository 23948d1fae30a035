import { describe, expect, test } from 'vitest'
import { ANNOTATIONS_PER_LEVEL, MAX_MESSAGE_CHARS, MAX_TITLE_CHARS, capAnnotations, escapeData, escapeProperty, workflowCommand, type Annotation } from '../../../src/ci/workflow-commands.js'
import { parseWorkflowCommands } from './_parse-commands.js'

const HOSTILE = [
  'line one\nline two',
  'carriage\rreturn and \r\n both',
  '::error file=x.js,line=1::injected',
  '100% sure, %0A is not a newline, %25 neither',
  'key: value, other: value',
  '\n::warning::starts a line',
]

describe('escaping as GitHub requires', () => {
  test('data: % first, then CR and LF', () => {
    expect(escapeData('50%\r\n')).toBe('50%25%0D%0A')
    expect(escapeData('%0A')).toBe('%250A')
    expect(escapeData('a::b')).toBe('a::b')
  })

  test('properties: as data, and : and ,', () => {
    expect(escapeProperty('a:b,c%\n')).toBe('a%3Ab%2Cc%25%0A')
    expect(escapeProperty('::error::')).toBe('%3A%3Aerror%3A%3A')
  })

  test.each(HOSTILE)('a hostile name comes back whole in the message and bounded in the title, on one line: %j', (name) => {
    const line = workflowCommand({ level: 'error', file: 'tests/a,b:c.test.js', line: 7, title: name, message: `failed: ${name}` })
    expect(line.split('\n')).toHaveLength(1)
    expect(line.includes('\r')).toBe(false)
    const [parsed, ...rest] = parseWorkflowCommands(line)
    expect(rest).toEqual([])
    expect(parsed!.command).toBe('error')
    expect(parsed!.properties.file).toBe('tests/a,b:c.test.js')
    expect(parsed!.properties.line).toBe('7')
    expect(parsed!.message).toBe(`failed: ${name}`)
    // The title is one line in GitHub's UI: control characters are shown as escapes, never raw.
    expect(parsed!.properties.title).not.toMatch(/[\r\n]/)
    expect(parsed!.properties.title!.replace(/\\n/g, '\n').replace(/\\r/g, '\r')).toBe(name)
  })

  test('10,000 characters: the title is cut in the middle, the message bounded and says how much was cut', () => {
    const name = `start ${'x'.repeat(10_000)} end`
    const [parsed] = parseWorkflowCommands(workflowCommand({ level: 'warning', file: null, line: null, title: name, message: name }))
    expect(parsed!.properties.title!.length).toBe(MAX_TITLE_CHARS)
    expect(parsed!.properties.title).toMatch(/^start x+…x+ end$/)
    expect(parsed!.message.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS + 40)
    expect(parsed!.message).toMatch(/^start x+… \(\d+ more characters\)$/)
    expect(Number(/\((\d+) more characters\)/.exec(parsed!.message)![1]) + parsed!.message.indexOf('…')).toBe(name.length)
  })

  test('a cut never splits a surrogate pair', () => {
    const name = '😀'.repeat(5_000)
    const [parsed] = parseWorkflowCommands(workflowCommand({ level: 'notice', file: null, line: null, title: 'emoji', message: name }))
    expect(parsed!.message).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/)
  })

  test('no file: no line either; a line of 0 is left out', () => {
    expect(workflowCommand({ level: 'notice', file: null, line: 3, title: 't', message: 'm' })).toBe('::notice title=t::m')
    expect(workflowCommand({ level: 'notice', file: 'a.js', line: 0, title: 't', message: 'm' })).toBe('::notice file=a.js,title=t::m')
    expect(workflowCommand({ level: 'error', file: 'a.js', line: 4, column: 2, title: 't', message: 'm' })).toBe('::error file=a.js,line=4,col=2,title=t::m')
  })
})

describe('capping: GitHub shows 10 of each level per step', () => {
  const make = (level: Annotation['level'], count: number, prefix = level): Annotation[] =>
    Array.from({ length: count }, (_, i) => ({ level, file: `tests/${prefix}-${i}.test.js`, line: i + 1, title: `${prefix} ${i}`, message: 'm' }))

  test('within the cap nothing is left out', () => {
    const all = [...make('error', 10), ...make('warning', 3), ...make('notice', 1)]
    expect(capAnnotations(all)).toEqual({ shown: all, leftOut: [] })
  })

  test('over the cap: the first 9 in order, then one that says how many were left out and names them', () => {
    const errors = make('error', 14)
    const { shown, leftOut } = capAnnotations([...errors, ...make('warning', 2)])
    const shownErrors = shown.filter((annotation) => annotation.level === 'error')
    expect(shownErrors).toHaveLength(ANNOTATIONS_PER_LEVEL)
    expect(shownErrors.slice(0, 9)).toEqual(errors.slice(0, 9))
    expect(leftOut).toEqual(errors.slice(9))
    const note = shownErrors[9]!
    expect(note.title).toBe('flakeline: 5 more errors left out')
    expect(note.message).toContain('- error 9 (tests/error-9.test.js)')
    expect(note.message).toContain('- error 13 (tests/error-13.test.js)')
    expect(shown.filter((annotation) => annotation.level === 'warning')).toHaveLength(2)
  })

  test('each level is capped on its own; more than 5 left out are counted, not all named', () => {
    const { shown, leftOut } = capAnnotations([...make('notice', 30), ...make('warning', 11)])
    expect(shown.filter((annotation) => annotation.level === 'notice')).toHaveLength(10)
    expect(shown.filter((annotation) => annotation.level === 'warning')).toHaveLength(10)
    expect(leftOut).toHaveLength(21 + 2)
    const note = shown.find((annotation) => annotation.title === 'flakeline: 21 more notices left out')!
    expect(note.message).toMatch(/- and 16 more$/)
  })
})
