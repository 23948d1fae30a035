/** `1 run`, `2 runs`, `0 processes`: a count with its noun in the number it takes. */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`
}
