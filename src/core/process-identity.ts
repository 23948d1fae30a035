import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'

/** The process that records a run: enough to tell later whether it is still there. */
export interface ProcessIdentity {
  host: string
  pid: number
  /** When the process started (epoch ms), so a new process that got the same pid is not taken for it. */
  startedAt: number
}

/** This process. */
export function currentProcess(): ProcessIdentity {
  return { host: hostname(), pid: process.pid, startedAt: Math.round(Date.now() - process.uptime() * 1000) }
}

/** Milliseconds two readings of one process's start time may differ by (clock ticks, rounding). */
const START_TOLERANCE_MS = 5_000

/** Boot time and clock ticks, for reading another process's start time from /proc (Linux). */
function procStartedAt(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command may hold spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ticks = Number(fields[19])
    const boot = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))
    if (!Number.isFinite(ticks) || !boot) return null
    // USER_HZ is 100 on every Linux flakeline runs on (sysconf(_SC_CLK_TCK)).
    return Number(boot[1]) * 1000 + ticks * 10
  } catch {
    return null
  }
}

/**
 * Whether the process that recorded a run is gone: true when it was on this machine and no process
 * has its pid any more, or one does but started at another time (the pid was reused); false when it
 * is still there; null when that cannot be told (another machine, or no identity recorded).
 */
export function processGone(owner: ProcessIdentity | undefined, here = currentProcess()): boolean | null {
  if (!owner || owner.host !== here.host) return null
  if (owner.pid === here.pid) return Math.abs(owner.startedAt - here.startedAt) > START_TOLERANCE_MS
  try {
    process.kill(owner.pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return true
    // EPERM: a process of another user has that pid; compare start times below.
  }
  const started = procStartedAt(owner.pid)
  return started === null ? false : Math.abs(started - owner.startedAt) > START_TOLERANCE_MS
}
