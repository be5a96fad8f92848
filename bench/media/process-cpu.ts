import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's times (getconf CLK_TCK; 100 on Linux). */
export function clockTicks(): number {
  const result = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const ticks = Number(result.stdout.trim());
  return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
}

interface Stat {
  readonly ppid: number;
  /** utime + stime */
  readonly own: number;
  /** cutime + cstime: children that exited and were waited for. */
  readonly reaped: number;
}

function readStat(pid: number): Stat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces: the fields after it start past its ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const field = (n: number) => Number(fields[n - 3]);
  return { ppid: field(4), own: field(14) + field(15), reaped: field(16) + field(17) };
}

/** CPU ticks of a process tree: the root's own, and its descendants' (live or exited and reaped). */
export interface TreeTicks {
  readonly root: number;
  readonly descendants: number;
}

/**
 * CPU time (ticks) used so far by a process and all its descendants, live or exited-and-reaped
 * (e.g. an ffmpeg the agent restarted). Exact for reaped children; live ones are found by walking
 * /proc's parent links.
 */
export function treeTicks(root: number): TreeTicks {
  const stats = new Map<number, Stat>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat) stats.set(Number(name), stat);
  }
  const rootStat = stats.get(root);
  if (!rootStat) throw new Error(`process ${root} is gone`);
  let descendants = rootStat.reaped;
  const queue = [root];
  const seen = new Set(queue);
  for (let i = 0; i < queue.length && i < 10_000; i++) {
    for (const [pid, stat] of stats) {
      if (stat.ppid !== queue[i] || seen.has(pid)) continue;
      seen.add(pid);
      queue.push(pid);
      descendants += stat.own;
    }
  }
  return { root: rootStat.own, descendants };
}
