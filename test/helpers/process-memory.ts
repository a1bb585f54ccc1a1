/**
 * A child process's memory as Linux reports it, for tests that bound it: which pid a NodeRedProcess runs as
 * (found in /proc by its private userDir, its working directory, so node-red-process.ts stays as it is), its resident set (VmRSS),
 * its peak since a reset (VmHWM, reset through clear_refs), and a guard that kills it (SIGKILL) when it grows
 * past a limit, so that a runaway runtime cannot take the shared machine down with it.
 */
import { readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';

/**
 * The pid of this process's child that runs in `directory` (a NodeRedProcess runs in its userDir), if any. By the
 * working directory, not the command line: Node-RED sets process.title, which overwrites its arguments.
 */
export function childPidIn(directory: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) !== directory) continue;
      const parent = /^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'));
      if (parent && Number(parent[1]) === process.pid && isRunning(Number(entry))) return Number(entry);
    } catch {
      // Ended while we looked, or not ours to read.
    }
  }
  return undefined;
}

function statusField(pid: number, field: string): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** True while the process exists and is not a zombie. */
export function isRunning(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** Resident set size in MB, undefined when the process is gone. */
export function rssMb(pid: number): number | undefined {
  return statusField(pid, 'VmRSS');
}

/** Peak resident set (MB) since the process started or since the last resetPeakRss. */
export function peakRssMb(pid: number): number | undefined {
  return statusField(pid, 'VmHWM');
}

/** Starts a new peak: VmHWM becomes the current RSS (Linux ≥ 4.0: writing 5 to clear_refs). */
export function resetPeakRss(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // Gone, or not ours: the sampled peak still counts.
  }
}

/**
 * Samples RSS every `everyMs` and kills the process once it passes `killAboveMb`. `stop` returns the highest
 * of the samples and the kernel's VmHWM (which catches spikes between samples), and whether the guard fired.
 */
export function watchRss(pid: number, killAboveMb: number, everyMs = 100): { stop(): { peakMb: number; killed: boolean } } {
  resetPeakRss(pid);
  let peakMb = rssMb(pid) ?? 0;
  let killed = false;
  const timer = setInterval(() => {
    const now = rssMb(pid);
    if (now === undefined) return;
    peakMb = Math.max(peakMb, now, peakRssMb(pid) ?? 0);
    if (now > killAboveMb && !killed) {
      killed = true;
      process.kill(pid, 'SIGKILL');
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      peakMb = Math.max(peakMb, peakRssMb(pid) ?? 0);
      return { peakMb, killed };
    },
  };
}
