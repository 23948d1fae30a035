// Seeded randomness for the fuzz benchmark: every case draws from its own generator, made from the
// run's seed, the target and the case number, so any one case can be replayed alone.
import { seededRandom } from '../../dist/src/scheduling/policies/shuffle.js'

/** A 32-bit mix of several integers (murmur3's finaliser over a running hash). */
export function mix(...values: number[]): number {
  let h = 0x9e3779b9
  for (const value of values) {
    h = Math.imul(h ^ (value >>> 0), 0x85ebca6b)
    h ^= h >>> 13
    h = Math.imul(h, 0xc2b2ae35)
    h ^= h >>> 16
  }
  return h >>> 0
}

/** A small hash of a name, to give each target its own stream of cases. */
export function nameHash(name: string): number {
  let h = 2166136261
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619)
  return h >>> 0
}

/** Picks from the shuffle policy's seeded generator (mulberry32): tiny, fast and good enough to pick inputs. */
export class Random {
  readonly next: () => number

  constructor(seed: number) {
    this.next = seededRandom(seed)
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }

  /** An integer in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1)
  }

  chance(p: number): boolean {
    return this.next() < p
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!
  }

  /** Small sizes mostly, sometimes large: the length of a string, array or byte run. */
  size(max: number): number {
    const roll = this.next()
    if (roll < 0.6) return this.int(Math.min(max, 8) + 1)
    if (roll < 0.9) return this.int(Math.min(max, 64) + 1)
    return this.int(max + 1)
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length)
    for (let i = 0; i < length; i++) out[i] = this.int(256)
    return out
  }
}

const WORD = 'abcdefghijklmnopqrstuvwxyz0123456789'

/** A short lowercase word, for names that should be valid. */
export function word(r: Random, min = 1, max = 10): string {
  let out = ''
  const length = r.range(min, max)
  for (let i = 0; i < length; i++) out += WORD[r.int(i === 0 ? 26 : WORD.length)]
  return out
}

/** Characters worth trying anywhere text goes. */
const HOSTILE_CHARS = ['\u0000', '\u0001', '\u0007', '\b', '\t', '\n', '\r', '\u001b', '\u007f', '\u0085', '\u009b', '\u2028', '\u2029', '\u202e', '\ufeff', '\ud800', '\udfff', '\uffff', '😀', 'é', '"', "'", '<', '>', '&', '\\', '/', ':', '%', '$', '{', '}', '[', ']', '*', '?', ',', '.', ' ']

/** Whole strings that have broken parsers, paths and logs before. */
const HOSTILE_STRINGS = [
  '', ' ', '.', '..', '../', '../../etc/passwd', '/etc/passwd', '..\\..\\windows', 'C:\\x\\a.test.ts', 'C:x', '\\\\server\\share\\a.test.ts',
  './a.test.ts', 'a//b.test.ts', 'a/./b.test.ts', 'a/../../b.test.ts', 'tests/', '/', '~', '~/x', 'file:///etc/passwd',
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__',
  'NaN', 'Infinity', '-Infinity', '-1', '-0', '0', '1e309', '1e-400', '9007199254740993', '0x10', '1_000', ' 1 ', '1,5',
  '::error::injected', '\n::error file=x::injected', '\r\n', '\u001b[31mred\u001b[0m', '%0A', '%00', '${process.exit()}', '<script>alert(1)</script>',
  '&amp;', '&#0;', '&#x110000;', '&lt', '&unknown;', ']]>', '<![CDATA[', '<!DOCTYPE x [<!ENTITY a "b">]>', '<?xml?>',
  'ws://127.0.0.1:1', 'quic://[::1]:0?fingerprint=zz', 'http://x', 'ws://', 'quic://h', 'ws://user:pass@h:99999',
  '30s', '0s', '-5s', '1.5.5s', '999999999h', 'auto', 'true', 'false', 'null', 'undefined', '{}', '[]',
]

export function hostileChar(r: Random): string {
  return r.pick(HOSTILE_CHARS)
}

/** A string picked to hurt: a known bad one, a long one, control characters, or a mix. */
export function hostileString(r: Random): string {
  const roll = r.int(10)
  if (roll < 4) return r.pick(HOSTILE_STRINGS)
  if (roll === 4) return r.pick(['a', '/', '.', '\n', '<', '&', 'é', '😀']).repeat(r.chance(0.9) ? r.pick([1_000, 8_193]) : 100_000)
  if (roll === 5) return `${'../'.repeat(r.range(1, 50))}${word(r)}`
  if (roll === 6) return `${word(r)}${hostileChar(r)}${word(r)}`
  let out = ''
  const length = r.size(40)
  for (let i = 0; i < length; i++) out += r.chance(0.4) ? hostileChar(r) : WORD[r.int(WORD.length)]
  return out
}

const HOSTILE_NUMBERS = [
  Number.NaN, Infinity, -Infinity, -0, 0, -1, 1, 0.5, -0.5, 1e-300, 2 ** 31, 2 ** 32, 2 ** 32 - 1, 2 ** 53, 2 ** 53 + 2, -(2 ** 53),
  Number.MAX_VALUE, Number.MIN_VALUE, Number.MAX_SAFE_INTEGER, 8.64e15, 8.64e15 + 1, -8.64e15, 1e21, 65_535, 65_536, 255, 256, 1_000_001,
  604_800_000, 604_800_001, 86_400_000, 86_400_001,
]

export function hostileNumber(r: Random): number {
  return r.chance(0.7) ? r.pick(HOSTILE_NUMBERS) : (r.next() - 0.5) * 10 ** r.int(20)
}

/** Keys that have polluted prototypes or confused `in` checks. */
export const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '', ' ', '\u0000', 'length', '0', '-1', 'then']

/**
 * Any JavaScript value, the way a config module could export it: primitives, arrays (sparse,
 * deep), objects with hostile keys or a null prototype, getters and proxies that throw, class
 * instances, cycles, functions, symbols and bigints.
 */
export function anyValue(r: Random, depth = 0): unknown {
  const roll = r.int(depth > 4 ? 12 : 20)
  switch (roll) {
    case 0: return undefined
    case 1: return null
    case 2: return r.chance(0.5)
    case 3: return hostileNumber(r)
    case 4: return r.range(-5, 300)
    case 5: case 6: return hostileString(r)
    case 7: return word(r)
    case 8: return BigInt(r.range(-1000, 1000)) * 10n ** BigInt(r.int(30))
    case 9: return Symbol(word(r))
    case 10: return r.pick([() => 1, function named(): void {}, class Options {}, Math.max, async () => {}])
    case 11: return r.pick([new Date(Number.NaN), new Date(0), /x+/g, new Map([['a', 1]]), new Set([1]), new Uint8Array(4), new Error('x'), Promise.resolve(1)])
    case 12: case 13: {
      const length = r.size(12)
      return Array.from({ length }, () => anyValue(r, depth + 1))
    }
    case 14: {
      const sparse: unknown[] = []
      sparse[r.pick([5, 1000, 2 ** 20])] = anyValue(r, depth + 1)
      return sparse
    }
    case 15: case 16: return anyObject(r, depth + 1)
    case 17: return deepValue(r.pick([100, 1_000, 10_000]))
    case 18: return hostileObject(r)
    default: {
      const cycle: Record<string, unknown> = { a: 1 }
      cycle.self = cycle
      Object.defineProperty(cycle, r.pick(HOSTILE_KEYS), { value: cycle, enumerable: true, configurable: true, writable: true })
      return cycle
    }
  }
}

/** An object of any values under ordinary, hostile or given keys. */
export function anyObject(r: Random, depth = 0, keys: readonly string[] = []): Record<string, unknown> {
  const object: Record<string, unknown> = r.chance(0.1) ? Object.create(null) : {}
  const count = r.size(8)
  for (let i = 0; i < count; i++) {
    const key = r.chance(0.2) ? r.pick(HOSTILE_KEYS) : keys.length && r.chance(0.6) ? r.pick(keys) : r.chance(0.3) ? hostileString(r) : word(r)
    const value = anyValue(r, depth + 1)
    if (key === '__proto__') Object.defineProperty(object, key, { value, enumerable: true, configurable: true, writable: true })
    else object[key] = value
  }
  return object
}

/** `[[[...]]]` or `{a:{a:...}}` nested `depth` levels. */
export function deepValue(depth: number, asObject = false): unknown {
  let value: unknown = 1
  for (let i = 0; i < depth; i++) value = asObject ? { a: value } : [value]
  return value
}

/** Objects whose reading itself throws or lies: getters, proxies, revoked proxies. */
export function hostileObject(r: Random): unknown {
  switch (r.int(6)) {
    case 0:
      return Object.defineProperty({}, r.pick(['historyLimit', 'deadlines', 'a', 'serve']), { enumerable: true, get: () => { throw new Error('getter says no') } })
    case 1:
      return new Proxy({}, { ownKeys: () => { throw new Error('ownKeys says no') } })
    case 2: {
      const { proxy, revoke } = Proxy.revocable({}, {})
      revoke()
      return proxy
    }
    case 3:
      return new Proxy({ historyLimit: 5 }, { get: () => { throw new Error('get says no') } })
    case 4:
      return new Proxy([], { get: (_target, key) => (key === 'length' ? 2 ** 32 - 1 : undefined) })
    default:
      return Object.freeze(Object.assign(Object.create({ inherited: true }), { strict: true }))
  }
}

/** MessagePack-safe JSON-like values that survive a round trip unchanged. */
export function plainValue(r: Random, depth = 0): unknown {
  const roll = r.int(depth > 3 ? 7 : 10)
  switch (roll) {
    case 0: return null
    case 1: return r.chance(0.5)
    case 2: return r.range(-100_000, 100_000)
    case 3: return r.pick([0, 1, -1, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, -(2 ** 31) - 1, Number.MAX_SAFE_INTEGER, 3.5, -0.25, 1e300])
    case 4: return word(r, 0, 12)
    case 5: return 'é😀'.repeat(r.int(4)) + word(r, 0, 4)
    case 6: return 'x'.repeat(r.chance(0.98) ? r.pick([31, 32, 255, 256]) : r.pick([65_535, 65_536]))
    case 7: return Array.from({ length: r.size(6) }, () => plainValue(r, depth + 1))
    default: {
      const object: Record<string, unknown> = {}
      const count = r.size(6)
      for (let i = 0; i < count; i++) object[word(r, 1, 8)] = plainValue(r, depth + 1)
      return object
    }
  }
}

/** Deep equality of decoded values (numbers by value, so -0 equals 0 and NaN equals NaN). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b || (Number.isNaN(a) && Number.isNaN(b))
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && a.length === b.length && a.every((byte, i) => byte === b[i])
  }
  const keysA = Object.keys(a)
  const keysB = Object.keys(b)
  if (keysA.length !== keysB.length) return false
  for (const key of keysA) {
    if (!Object.prototype.hasOwnProperty.call(b, key)) return false
    if (!sameValue((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false
  }
  return true
}

/** MessagePack headers that claim more than any message holds, and bytes that start odd values. */
const HUGE_HEADERS = [
  [0xdd, 0xff, 0xff, 0xff, 0xff], [0xdf, 0xff, 0xff, 0xff, 0xff], [0xdc, 0xff, 0xff], [0xde, 0xff, 0xff], [0xdb, 0xff, 0xff, 0xff, 0xff],
  [0xc6, 0x7f, 0xff, 0xff, 0xff], [0xc9, 0xff, 0xff, 0xff, 0xff, 0x01], [0xd9, 0xff], [0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  [0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0], [0xcb, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0], [0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0],
]
/** Extensions msgpackr gives meaning to (records, errors, regexps, sets, typed arrays, references, dates, bigints) and unknown ones. */
const EXTENSIONS = [
  [0xd4, 0x72, 0x40], [0xd5, 0x72, 0x40, 0x91], [0xc7, 0x03, 0x72, 0x92, 0xa1, 0x61], [0xd4, 0x65, 0xc0], [0xc7, 0x04, 0x65, 0x92, 0xa3, 0x66, 0x6f, 0x6f],
  [0xd4, 0x78, 0x92], [0xd4, 0x73, 0x91], [0xd5, 0x74, 0x05, 0x01], [0xd6, 0x69, 0, 0, 0, 1], [0xd6, 0x70, 0, 0, 0, 9], [0xd6, 0xff, 0, 0, 0, 1],
  [0xd4, 0xff, 0x01], [0xd5, 0x42, 0x80, 0x01], [0xd4, 0x00, 0x00], [0xd4, 0x33, 0x00], [0xd6, 0x62, 0xff, 0xff, 0xff, 0xff], [0xd4, 0x7f, 0x00],
  [0xc7, 0x00, 0x65], [0xd4, 0x65, 0x93], [0xc7, 0x05, 0x78, 0x92, 0xa2, 0x28, 0x2a, 0xc0],
]
const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xcb, 0xcf, 0xd9, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xff, 0x94, 0x0a, 0x0d, 0x3c, 0x26]

/** A few bytes that make a decoder work hard: a huge length, an extension, deep nesting, or one odd byte. */
export function hostileBytes(r: Random): Uint8Array {
  const roll = r.int(4)
  if (roll === 0) return Uint8Array.from(r.pick(HUGE_HEADERS))
  if (roll === 1) return Uint8Array.from(r.pick(EXTENSIONS))
  if (roll === 2) {
    const depth = r.chance(0.97) ? r.pick([20, 65, 100, 2_000]) : 50_000
    const opener = r.pick([0x91, 0x81, 0xdc])
    if (opener === 0x81) return Uint8Array.from({ length: depth * 2 }, (_, i) => (i % 2 === 0 ? 0x81 : 0xa0)).subarray(0, depth * 2)
    if (opener === 0xdc) return Uint8Array.from({ length: depth * 3 }, (_, i) => [0xdc, 0x00, 0x01][i % 3]!)
    return new Uint8Array(depth).fill(0x91)
  }
  return Uint8Array.of(r.pick(INTERESTING_BYTES))
}

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

/** One to four mutations of `input`: bit flips, odd bytes, truncation, duplicated slices, splices with `donor`, hostile inserts. */
export function mutateBytes(r: Random, input: Uint8Array, donor?: Uint8Array): Uint8Array {
  let bytes = input
  const rounds = r.range(1, 4)
  for (let round = 0; round < rounds; round++) {
    const at = r.int(bytes.length + 1)
    switch (r.int(8)) {
      case 0: {
        if (bytes.length === 0) break
        bytes = bytes.slice()
        const index = Math.min(at, bytes.length - 1)
        bytes[index] = bytes[index]! ^ (1 << r.int(8))
        break
      }
      case 1: {
        if (bytes.length === 0) break
        bytes = bytes.slice()
        bytes[Math.min(at, bytes.length - 1)] = r.pick(INTERESTING_BYTES)
        break
      }
      case 2:
        bytes = bytes.subarray(0, at)
        break
      case 3: {
        const start = r.int(bytes.length + 1)
        const slice = bytes.subarray(start, start + r.size(64))
        bytes = concatBytes([bytes.subarray(0, at), slice, ...(r.chance(0.05) ? Array<Uint8Array>(r.range(2, 200)).fill(slice) : []), bytes.subarray(at)])
        break
      }
      case 4: {
        const other = donor ?? bytes
        const from = r.int(other.length + 1)
        bytes = concatBytes([bytes.subarray(0, at), other.subarray(from)])
        break
      }
      case 5:
        bytes = concatBytes([bytes.subarray(0, at), hostileBytes(r), bytes.subarray(r.chance(0.5) ? at : Math.min(bytes.length, at + r.range(1, 9)))])
        break
      case 6:
        bytes = concatBytes([bytes.subarray(0, at), r.bytes(r.size(16)), bytes.subarray(at)])
        break
      default: {
        if (bytes.length < 2) break
        bytes = bytes.slice()
        const other = r.int(bytes.length)
        const here = Math.min(at, bytes.length - 1)
        ;[bytes[here], bytes[other]] = [bytes[other]!, bytes[here]!]
      }
    }
  }
  return bytes
}

/** One to four mutations of text: odd characters, truncation, duplicated slices, splices, hostile strings. */
export function mutateText(r: Random, input: string, donor?: string): string {
  let text = input
  const rounds = r.range(1, 4)
  for (let round = 0; round < rounds; round++) {
    const at = r.int(text.length + 1)
    switch (r.int(6)) {
      case 0:
        text = text.slice(0, at) + hostileChar(r) + text.slice(at + (r.chance(0.5) ? 1 : 0))
        break
      case 1:
        text = text.slice(0, at)
        break
      case 2: {
        const start = r.int(text.length + 1)
        const slice = text.slice(start, start + r.size(200))
        text = text.slice(0, at) + slice.repeat(r.chance(0.05) ? r.range(2, 100) : 1) + text.slice(at)
        break
      }
      case 3: {
        const other = donor ?? text
        text = text.slice(0, at) + other.slice(r.int(other.length + 1))
        break
      }
      case 4:
        text = text.slice(0, at) + hostileString(r) + text.slice(at)
        break
      default: {
        const end = Math.min(text.length, at + r.size(30))
        text = text.slice(0, at) + text.slice(end)
      }
    }
  }
  return text
}

/** Random bytes read as UTF-8 text (invalid sequences become U+FFFD, as a file read would make them). */
export function randomText(r: Random, length: number): string {
  return Buffer.from(r.bytes(length)).toString(r.chance(0.5) ? 'utf8' : 'latin1')
}
