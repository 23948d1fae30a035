// Matches ANSI colour and cursor sequences that runners put in failure messages.
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g

/** A failure message without colour codes, cut to `max` characters followed by a short note of how much was cut. */
export function trimMessage(message: string | null | undefined, max: number): string | null {
  if (message === null || message === undefined) return null
  const plain = message.replace(ANSI, '').trim()
  if (plain.length === 0) return null
  if (plain.length <= max) return plain
  const cut = plain.length - max
  return `${plain.slice(0, max)}… (${cut} more characters)`
}
