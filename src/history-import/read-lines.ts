import { createReadStream } from 'node:fs'
import { importError, limitError } from './import-limits.js'

/**
 * The lines of a UTF-8 file, numbered from 1, without their line breaks (LF or CRLF) or a leading
 * BOM. Unlike readline it refuses a line longer than `maxBytes` as soon as it sees it, so a file
 * without line breaks cannot fill memory.
 */
export async function* readLines(path: string, maxBytes: number, name = path): AsyncGenerator<{ text: string; number: number }> {
  let pending: Buffer[] = []
  let pendingBytes = 0
  let number = 0
  const finish = (tail: Buffer): string => {
    const line = Buffer.concat([...pending, tail]).toString('utf8')
    pending = []
    pendingBytes = 0
    number++
    const text = line.endsWith('\r') ? line.slice(0, -1) : line
    return number === 1 && text.startsWith('\uFEFF') ? text.slice(1) : text
  }
  const stream = createReadStream(path)
  const opened = new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve())
    stream.once('error', reject)
  })
  try {
    await opened
  } catch (error) {
    throw importError(name, `cannot read (${error instanceof Error ? error.message : String(error)})`)
  }
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let start = 0
    for (let newline = chunk.indexOf(10, start); newline !== -1; newline = chunk.indexOf(10, start)) {
      if (pendingBytes + newline - start > maxBytes) throw limitError(`${name}:${number + 1}`, `line longer than ${maxBytes} bytes`)
      yield { text: finish(chunk.subarray(start, newline)), number }
      start = newline + 1
    }
    const rest = chunk.subarray(start)
    pendingBytes += rest.length
    if (pendingBytes > maxBytes) throw limitError(`${name}:${number + 1}`, `line longer than ${maxBytes} bytes`)
    if (rest.length) pending.push(Buffer.from(rest))
  }
  if (pendingBytes > 0) yield { text: finish(Buffer.alloc(0)), number }
}
