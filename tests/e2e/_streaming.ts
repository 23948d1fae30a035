import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { childEnv, installedCli, type RunnerInstall, type RunResult } from './harness.js'
import type { Frame } from '../../src/transport/protocol.js'
import { runnerDir } from '../../scripts/test-installs.mjs'

/** A child process whose end can be awaited while it runs. */
export interface Running {
  child: ChildProcess
  done: Promise<RunResult>
  /** Whether the process has exited yet. */
  exited: () => boolean
  stdout: () => string
}

function start(args: string[], cwd: string, env: Record<string, string>): Running {
  const child = spawn(process.execPath, args, { cwd, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  let exited = false
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const done = new Promise<RunResult>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => {
      exited = true
      resolve({ code: code ?? -1, stdout, stderr })
    })
  })
  return { child, done, exited: () => exited, stdout: () => stdout }
}

/** Starts the real runner of `install` in `dir` without waiting for it. */
export function startRunner(install: RunnerInstall, dir: string, env: Record<string, string>, args: string[] = []): Running {
  const modules = join(runnerDir(install), 'node_modules')
  const entry = install.startsWith('jest') ? [join(modules, 'jest', 'bin', 'jest.js'), '--ci'] : [join(modules, 'vitest', 'vitest.mjs'), 'run']
  return start([...entry, ...args], dir, env)
}

/** A running `flakeline serve` and what it printed first. */
export interface ServeProcess extends Running {
  /** The first line: the dashboard address. */
  firstLine: string
  /** Every line printed by the time the address was read. */
  lines: string[]
  /** Sends SIGTERM and waits for the exit. */
  stop: () => Promise<RunResult>
}

/** Starts the built `flakeline serve` and resolves once it printed the dashboard address (bounded). */
export async function startServe(args: string[], cwd: string, env: Record<string, string> = {}): Promise<ServeProcess> {
  const running = start([installedCli(), 'serve', ...args], cwd, env)
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`flakeline serve printed no address in 20 s:\n${running.stdout()}`)), 20_000)
    const check = () => {
      if (running.stdout().includes('stop ')) {
        clearTimeout(timer)
        resolve()
      }
    }
    running.child.stdout!.on('data', check)
    void running.done.then((result) => {
      clearTimeout(timer)
      reject(new Error(`flakeline serve exited with ${result.code}:\n${result.stdout}\n${result.stderr}`))
    })
  })
  const lines = running.stdout().split('\n')
  return {
    ...running,
    firstLine: lines[0]!,
    lines,
    stop: () => {
      if (!running.exited()) running.child.kill('SIGTERM')
      return running.done
    },
  }
}

/** The value after `name=` in the lines `flakeline serve` printed. */
export function printed(lines: string[], name: string): string {
  for (const line of lines) {
    const match = new RegExp(`${name}=(\\S+)`).exec(line)
    if (match) return match[1]!
  }
  throw new Error(`flakeline serve did not print ${name}`)
}

/** Collects frames from a subscriber and lets a test await a condition on them (bounded). */
export class FrameCollector {
  readonly frames: Frame[] = []
  private readonly waiters = new Set<() => void>()

  /** Pass as `onFrame`. */
  readonly push = (frame: Frame): void => {
    this.frames.push(frame)
    for (const check of Array.from(this.waiters)) check()
  }

  /** Resolves as soon as `predicate` holds (checked on every frame); rejects after `timeoutMs`. */
  until(predicate: (frames: Frame[]) => boolean, what: string, timeoutMs = 60_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate(this.frames)) return
        this.waiters.delete(check)
        clearTimeout(timer)
        resolve()
      }
      const timer = setTimeout(() => {
        this.waiters.delete(check)
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${this.frames.length} frames so far)`))
      }, timeoutMs)
      this.waiters.add(check)
      check()
    })
  }

  /**
   * The frames of each channel in the order received, channel by channel. Each channel's order
   * is the protocol's promise; how channels interleave is not (QUIC gives each its own stream).
   */
  get perChannel(): Record<string, Frame[]> {
    const channels: Record<string, Frame[]> = {}
    for (const frame of this.frames) (channels[frame[0]] ??= []).push(frame)
    return channels
  }

  /**
   * Resolves once no frame has arrived for `quietMs`. Over QUIC the channels travel on separate
   * streams, so the end of the run on `run` can arrive before the last frames on `results`.
   */
  async settled(quietMs = 300, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const count = this.frames.length
      await new Promise((resolve) => setTimeout(resolve, quietMs))
      if (this.frames.length === count) return
      if (Date.now() > deadline) throw new Error(`frames still arriving after ${timeoutMs} ms`)
    }
  }

  /** Frames of one type. */
  of(type: string): Frame[] {
    return this.frames.filter((frame) => frame[2] === type)
  }
}
