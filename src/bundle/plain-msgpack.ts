/** Bytes of a string, binary or extension length, or of an array or map count, after their first byte. */
function sizeBytes(byte: number, first: number): number {
  return 1 << (byte - first)
}

function readUint(bytes: Uint8Array, at: number, size: number): number {
  let value = 0
  for (let i = 0; i < size; i++) value = value * 256 + bytes[at + i]!
  return value
}

function refusedType(byte: number, bytes: Uint8Array, at: number): string {
  if (byte === 0xc1) return 'the never-used byte 0xc1'
  if (byte >= 0xc4 && byte <= 0xc6) return 'binary data'
  const type = byte >= 0xd4 ? bytes[at + 1] : bytes[at + 1 + sizeBytes(byte, 0xc7)]
  return `a MessagePack extension (type ${type === undefined ? '?' : `0x${type.toString(16).padStart(2, '0')}`})`
}

/**
 * Walks MessagePack without decoding it and returns what makes it unfit for a bundle, or null.
 * Bundles are plain MessagePack: maps with string keys, arrays, strings, numbers, booleans and nil.
 * Extensions are refused before msgpackr sees them, so a hostile file can neither define msgpackr
 * record structures nor make Errors, RegExps, Sets, typed arrays or shared references; a count
 * larger than the bytes left (each value takes at least one) is refused before an array is made
 * for it; nesting is bounded, and the value must end exactly at the end of the bytes.
 */
export function plainMsgpackProblem(bytes: Uint8Array, maxDepth: number): string | null {
  const end = bytes.byteLength
  // Values still to read in each open container, outermost first; a map counts its keys and values.
  const remaining: number[] = [1]
  const inMap: boolean[] = [false]
  let at = 0
  while (remaining.length > 0) {
    const depth = remaining.length - 1
    if (remaining[depth] === 0) {
      remaining.pop()
      inMap.pop()
      continue
    }
    const isKey = inMap[depth]! && remaining[depth]! % 2 === 0
    remaining[depth]!--
    if (at >= end) return `truncated: a value is missing at byte ${at}`
    const start = at
    const byte = bytes[at++]!
    let skip = -1
    let count = -1
    let map = false
    let string = false
    if (byte <= 0x7f || byte >= 0xe0) skip = 0
    else if (byte <= 0x8f) [count, map] = [byte & 0x0f, true]
    else if (byte <= 0x9f) count = byte & 0x0f
    else if (byte <= 0xbf) [skip, string] = [byte & 0x1f, true]
    else if (byte === 0xc0 || byte === 0xc2 || byte === 0xc3) skip = 0
    else if (byte === 0xca || byte === 0xcb) skip = byte === 0xca ? 4 : 8
    else if (byte >= 0xcc && byte <= 0xd3) skip = sizeBytes(byte, byte <= 0xcf ? 0xcc : 0xd0)
    else if ((byte >= 0xd9 && byte <= 0xdb) || (byte >= 0xdc && byte <= 0xdf)) {
      const size = byte <= 0xdb ? sizeBytes(byte, 0xd9) : byte <= 0xdd ? sizeBytes(byte, 0xdb) : sizeBytes(byte, 0xdd)
      if (at + size > end) return `truncated: a length at byte ${start} runs past the end`
      const value = readUint(bytes, at, size)
      at += size
      if (byte <= 0xdb) [skip, string] = [value, true]
      else [count, map] = [value, byte >= 0xde]
    } else return `${refusedType(byte, bytes, start)} at byte ${start}: a bundle is plain MessagePack (maps, arrays, strings, numbers, booleans, nil)`
    if (isKey && !string) return `a map key at byte ${start} is not a string`
    if (skip >= 0) {
      if (at + skip > end) return `truncated: a value at byte ${start} runs past the end`
      at += skip
      continue
    }
    const values = map ? count * 2 : count
    if (values > end - at) return `${map ? 'a map' : 'an array'} at byte ${start} claims ${count} entries, more than the ${end - at} bytes left can hold`
    if (remaining.length >= maxDepth) return `nested deeper than ${maxDepth} levels at byte ${start}`
    remaining.push(values)
    inMap.push(map)
  }
  if (at !== end) return `${end - at} bytes after the end of the body`
  return null
}
