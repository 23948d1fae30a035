import { safeText } from '../cli/format.js'

/** The three annotation levels GitHub shows on a pull request's files and a job's page. */
export type AnnotationLevel = 'error' | 'warning' | 'notice'

/** One annotation, before it is written as a workflow command. */
export interface Annotation {
  level: AnnotationLevel
  /** Path relative to the repository root (GitHub links the annotation to it); null for none. */
  file: string | null
  line: number | null
  column?: number | null
  title: string
  message: string
}

/** Titles are one line in GitHub's UI: longer ones are elided in the middle. */
export const MAX_TITLE_CHARS = 200
/** Messages beyond this are cut: GitHub shows a few lines of an annotation anyway. */
export const MAX_MESSAGE_CHARS = 4_000

/**
 * Escapes the message of a workflow command as GitHub's runner reads it (and `@actions/core`
 * writes it): `%` first, so an escape already in the text is not decoded, then CR and LF, so the
 * text cannot end the command's line and start another.
 */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}

/** Escapes a property value: as data, and `:` and `,`, which end a value and separate properties. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C')
}

/**
 * Cuts `text` to `max` characters, saying how much was cut; never splits a surrogate pair (an
 * unpaired surrogate is not valid UTF-8, and GitHub would show a replacement character).
 */
export function boundText(text: string, max: number): string {
  if (text.length <= max) return text
  let end = max - 40
  if (end > 0 && /[\uD800-\uDBFF]/.test(text[end - 1]!)) end--
  return `${text.slice(0, Math.max(0, end))}… (${text.length - Math.max(0, end)} more characters)`
}

/**
 * `::warning file=…,line=…,title=…::message`. The title is bounded and shows control characters as
 * escapes (`safeText`); the message keeps its lines (escaped as `%0A`) and is bounded.
 */
export function workflowCommand(annotation: Annotation): string {
  const properties: string[] = []
  if (annotation.file) properties.push(`file=${escapeProperty(annotation.file)}`)
  if (annotation.file && annotation.line !== null && annotation.line > 0) {
    properties.push(`line=${Math.floor(annotation.line)}`)
    if (annotation.column && annotation.column > 0) properties.push(`col=${Math.floor(annotation.column)}`)
  }
  properties.push(`title=${escapeProperty(safeText(annotation.title, MAX_TITLE_CHARS))}`)
  return `::${annotation.level} ${properties.join(',')}::${escapeData(boundText(annotation.message, MAX_MESSAGE_CHARS))}`
}

/** GitHub shows at most this many annotations of each level per step; more are dropped without a word. */
export const ANNOTATIONS_PER_LEVEL = 10

/** The annotations to write, and the ones left out, by level. */
export interface CappedAnnotations {
  shown: Annotation[]
  leftOut: Annotation[]
}

/**
 * Keeps at most `perLevel` annotations of each level, in the order given (the caller puts the most
 * important first). When a level overflows, its last slot says how many of that level were left
 * out and names the first few, so nothing disappears without a word.
 */
export function capAnnotations(annotations: readonly Annotation[], perLevel = ANNOTATIONS_PER_LEVEL): CappedAnnotations {
  const byLevel = new Map<AnnotationLevel, Annotation[]>()
  for (const annotation of annotations) {
    const list = byLevel.get(annotation.level) ?? []
    list.push(annotation)
    byLevel.set(annotation.level, list)
  }
  const shown: Annotation[] = []
  const leftOut: Annotation[] = []
  for (const level of ['error', 'warning', 'notice'] as const) {
    const list = byLevel.get(level) ?? []
    if (list.length <= perLevel) {
      shown.push(...list)
      continue
    }
    const kept = list.slice(0, Math.max(0, perLevel - 1))
    const dropped = list.slice(kept.length)
    shown.push(...kept)
    leftOut.push(...dropped)
    const named = dropped.slice(0, 5).map((annotation) => `- ${safeText(annotation.title, 150)}${annotation.file ? ` (${safeText(annotation.file, 150)})` : ''}`)
    shown.push({
      level,
      file: null,
      line: null,
      title: `flakeline: ${dropped.length} more ${level === 'error' ? 'errors' : level === 'warning' ? 'warnings' : 'notices'} left out`,
      message: `GitHub shows ${perLevel} ${level} annotations per step; these ${dropped.length} are in the job summary and in \`npx flakeline report\`:\n${named.join('\n')}${dropped.length > named.length ? `\n- and ${dropped.length - named.length} more` : ''}`,
    })
  }
  return { shown, leftOut }
}
