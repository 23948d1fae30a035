/**
 * Workflow commands read back the way GitHub's runner reads them (`ActionCommand.TryParseV2` in
 * actions/runner): a line starting with `::`, the command up to the next `::`, its name up to the
 * first space, properties split on `,` and `=`; values unescaped `%0D`, `%0A`, `%3A`, `%2C`, then
 * `%25` last (data: the same without `%3A` and `%2C`).
 */
export interface ParsedCommand {
  command: string
  properties: Record<string, string>
  message: string
}

function unescape(text: string, property: boolean): string {
  let value = text.replace(/%0D/g, '\r').replace(/%0A/g, '\n')
  if (property) value = value.replace(/%3A/g, ':').replace(/%2C/g, ',')
  return value.replace(/%25/g, '%')
}

export function parseWorkflowCommands(output: string): ParsedCommand[] {
  const commands: ParsedCommand[] = []
  for (const line of output.split(/\r?\n/)) {
    const trimmed = line.trim()
    if (!trimmed.startsWith('::')) continue
    const end = trimmed.indexOf('::', 2)
    if (end < 0) continue
    const head = trimmed.slice(2, end)
    const space = head.indexOf(' ')
    const command = space < 0 ? head : head.slice(0, space)
    const properties: Record<string, string> = {}
    if (space >= 0) {
      for (const pair of head.slice(space + 1).split(',')) {
        const eq = pair.indexOf('=')
        if (eq > 0) properties[pair.slice(0, eq)] = unescape(pair.slice(eq + 1), true)
      }
    }
    commands.push({ command, properties, message: unescape(trimmed.slice(end + 2), false) })
  }
  return commands
}
