import { readFileSync } from 'node:fs';

/**
 * The kernel's listen-queue counters (TcpExt ListenOverflows and ListenDrops, /proc/net/netstat):
 * connections dropped because an accept queue was full, machine-wide since boot.
 */
export function listenQueueCounters(): { overflows: number; drops: number } {
  const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!lines[i]!.startsWith('TcpExt:') || !lines[i + 1]!.startsWith('TcpExt:')) continue;
    const names = lines[i]!.split(/\s+/);
    const values = lines[i + 1]!.split(/\s+/);
    const value = (name: string) => Number(values[names.indexOf(name)] ?? Number.NaN);
    return { overflows: value('ListenOverflows'), drops: value('ListenDrops') };
  }
  throw new Error('/proc/net/netstat has no TcpExt lines');
}

/** A process's CPU time so far (user + system, its own threads), seconds; null once it is gone. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), from field 3 on.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** A process's resident memory now (VmRSS), bytes; null once it is gone. */
export function rssBytes(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}
