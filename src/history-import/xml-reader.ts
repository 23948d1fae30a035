import { shownText } from '../identity.js'
import { IMPORT_LIMITS, importError, limitError } from './import-limits.js'

/** One element of a parsed XML document. */
export interface XmlElement {
  name: string
  attributes: Record<string, string>
  children: XmlElement[]
  /** Text and CDATA directly inside, entities decoded, capped at `IMPORT_LIMITS.xmlTextChars`. */
  text: string
  /** Offset of the `<` in the source, for `lineOf`. */
  offset: number
}

const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }
const NAME = /^[A-Za-z_:\u00C0-\uFFEF][-A-Za-z0-9._:\u00B7\u00C0-\uFFEF]*/

/** 1-based line of `offset` in `source`. */
export function lineOf(source: string, offset: number): number {
  let line = 1
  for (let at = source.indexOf('\n'); at !== -1 && at < offset; at = source.indexOf('\n', at + 1)) line++
  return line
}

/**
 * A small, defensive XML parser for test reports: elements, attributes, text, CDATA, comments and
 * processing instructions. It never expands entities beyond the five XML ones and character
 * references, and refuses any DOCTYPE, so "billion laughs" and external entities cannot happen;
 * depth, element count, attribute count and kept text are bounded. Errors name the line.
 */
export function parseXml(source: string, name: string): XmlElement {
  const fail = (offset: number, message: string): never => {
    throw importError(`${name}:${lineOf(source, offset)}`, message)
  }
  const tooMuch = (offset: number, message: string): never => {
    throw limitError(`${name}:${lineOf(source, offset)}`, message)
  }
  const decode = (text: string, offset: number): string =>
    text.indexOf('&') === -1
      ? text
      : text.replace(/&([^;&\s<]{0,32})(;?)/g, (_, entity: string, semicolon: string) => {
          if (!semicolon) return fail(offset, `"&" must start an entity like &amp; (found "&${shownText(entity)}")`)
          if (entity in PREDEFINED) return PREDEFINED[entity]!
          const numeric = /^#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}))$/.exec(entity)
          if (numeric) {
            const code = numeric[1] !== undefined ? parseInt(numeric[1], 16) : parseInt(numeric[2]!, 10)
            const valid = code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff)
            if (!valid) return fail(offset, `character reference &${entity}; is not a valid XML character`)
            return String.fromCodePoint(code)
          }
          return fail(offset, `unknown entity &${shownText(entity)}; (only &lt; &gt; &amp; &quot; &apos; and character references are accepted)`)
        })

  const text = source.startsWith('\uFEFF') ? source.slice(1) : source
  const stack: XmlElement[] = []
  let root: XmlElement | null = null
  let elements = 0
  let at = 0
  const addText = (raw: string, offset: number, decoded = false): void => {
    const top = stack[stack.length - 1]
    if (!top) {
      if (raw.trim() !== '') fail(offset, root ? 'text after the root element' : 'text before the root element')
      return
    }
    if (top.text.length >= IMPORT_LIMITS.xmlTextChars) return
    top.text += (decoded ? raw : decode(raw, offset)).slice(0, IMPORT_LIMITS.xmlTextChars - top.text.length)
  }
  while (at < text.length) {
    const lt = text.indexOf('<', at)
    if (lt === -1) {
      addText(text.slice(at), at)
      break
    }
    if (lt > at) addText(text.slice(at, lt), at)
    if (text.startsWith('<!--', lt)) {
      const end = text.indexOf('-->', lt + 4)
      if (end === -1) fail(lt, 'unclosed comment')
      at = end + 3
    } else if (text.startsWith('<![CDATA[', lt)) {
      const end = text.indexOf(']]>', lt + 9)
      if (end === -1) fail(lt, 'unclosed CDATA section')
      addText(text.slice(lt + 9, end), lt, true)
      at = end + 3
    } else if (text.startsWith('<!', lt)) {
      const what = /^<!DOCTYPE/i.test(text.slice(lt, lt + 9)) ? 'a DOCTYPE' : 'a declaration'
      fail(lt, `${what} is not accepted: entity declarations could expand without bound or read other files; remove it`)
    } else if (text.startsWith('<?', lt)) {
      const end = text.indexOf('?>', lt + 2)
      if (end === -1) fail(lt, 'unclosed processing instruction')
      at = end + 2
    } else if (text.startsWith('</', lt)) {
      const end = text.indexOf('>', lt + 2)
      if (end === -1) fail(lt, 'unclosed end tag')
      const closing = text.slice(lt + 2, end).trim()
      const open = stack.pop()
      if (!open) fail(lt, `</${shownText(closing)}> without an open element`)
      if (open!.name !== closing) fail(lt, `</${shownText(closing)}> closes <${shownText(open!.name)}> (opened on line ${lineOf(text, open!.offset)})`)
      at = end + 1
    } else {
      const nameMatch = NAME.exec(text.slice(lt + 1, lt + 1 + 1024))
      if (!nameMatch) fail(lt, 'a "<" that does not start a tag (write &lt; in text)')
      const element: XmlElement = { name: nameMatch![0], attributes: Object.create(null) as Record<string, string>, children: [], text: '', offset: lt }
      // Names go into messages bounded: a name may be 1,024 characters, and line separators are name characters.
      const tag = (): string => shownText(element.name)
      if (++elements > IMPORT_LIMITS.xmlElements) tooMuch(lt, `more than ${IMPORT_LIMITS.xmlElements} elements`)
      let cursor = lt + 1 + element.name.length
      let attributes = 0
      let selfClosing = false
      for (;;) {
        while (cursor < text.length && /\s/.test(text[cursor]!)) cursor++
        if (cursor >= text.length) fail(lt, `unclosed tag <${tag()}>`)
        if (text[cursor] === '>') {
          cursor++
          break
        }
        if (text.startsWith('/>', cursor)) {
          cursor += 2
          selfClosing = true
          break
        }
        const attribute = NAME.exec(text.slice(cursor, cursor + 1024))
        if (!attribute) fail(cursor, `malformed attribute in <${tag()}>`)
        const key = attribute![0]
        cursor += key.length
        while (/\s/.test(text[cursor] ?? '')) cursor++
        if (text[cursor] !== '=') fail(cursor, `attribute ${shownText(key)} of <${tag()}> has no value`)
        cursor++
        while (/\s/.test(text[cursor] ?? '')) cursor++
        const quote = text[cursor]
        if (quote !== '"' && quote !== "'") fail(cursor, `attribute ${shownText(key)} of <${tag()}> must be quoted`)
        const close = text.indexOf(quote!, cursor + 1)
        if (close === -1) fail(cursor, `unclosed value of attribute ${shownText(key)}`)
        const raw = text.slice(cursor + 1, close)
        if (raw.includes('<')) fail(cursor, `"<" in the value of attribute ${shownText(key)} (write &lt;)`)
        if (key in element.attributes) fail(cursor, `attribute ${shownText(key)} appears twice in <${tag()}>`)
        if (++attributes > IMPORT_LIMITS.xmlAttributes) tooMuch(cursor, `more than ${IMPORT_LIMITS.xmlAttributes} attributes in <${tag()}>`)
        element.attributes[key] = decode(raw, cursor)
        cursor = close + 1
      }
      const parent = stack[stack.length - 1]
      if (parent) parent.children.push(element)
      else if (root) fail(lt, `a second root element <${tag()}> (the first is <${shownText(root.name)}>)`)
      else root = element
      if (!selfClosing) {
        stack.push(element)
        if (stack.length > IMPORT_LIMITS.xmlDepth) tooMuch(lt, `elements nested deeper than ${IMPORT_LIMITS.xmlDepth}`)
      }
      at = cursor
    }
  }
  if (stack.length > 0) {
    const open = stack[stack.length - 1]!
    fail(text.length, `unexpected end of file: <${shownText(open.name)}> opened on line ${lineOf(text, open.offset)} is not closed`)
  }
  if (!root) fail(0, 'no root element')
  return root!
}
