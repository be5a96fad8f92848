import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessMemory {
  readonly pid: number;
  /** Chromium's process type (--type=…): renderer, gpu-process, utility, zygote; "browser" for the main one. */
  readonly type: string;
  readonly rssBytes: number;
  /** Proportional set size: shared pages split among the processes that map them. */
  readonly pssBytes: number;
  /** Pages this process alone maps (Private_Clean + Private_Dirty): what closing it would free. */
  readonly privateBytes: number;
  /** RSS split by what the pages are (/proc/<pid>/status): mapped files (the chromium binary, libraries, fonts), anonymous memory, shared memory regions. */
  readonly rss: { readonly file: number; readonly anonymous: number; readonly shared: number };
}

/** Rss, Pss and private pages (/proc/<pid>/smaps_rollup) and RSS by kind (/proc/<pid>/status), or null if it is gone. */
function memoryOf(pid: number): Omit<ProcessMemory, 'pid' | 'type'> | null {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (text: string, name: string) =>
      Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN) * 1024;
    const found = {
      rssBytes: kb(rollup, 'Rss'),
      pssBytes: kb(rollup, 'Pss'),
      privateBytes: kb(rollup, 'Private_Clean') + kb(rollup, 'Private_Dirty'),
      rss: { file: kb(status, 'RssFile'), anonymous: kb(status, 'RssAnon'), shared: kb(status, 'RssShmem') },
    };
    const numbers = [found.rssBytes, found.pssBytes, found.privateBytes, ...Object.values(found.rss)];
    return numbers.every(Number.isFinite) ? found : null;
  } catch {
    return null;
  }
}

/**
 * Every process of one Chromium, found by the profile directory its command line names
 * (--user-data-dir, passed down to every child), with its memory. (A profile path has no spaces:
 * mkdtemp under the system's temporary directory.)
 */
export function chromiumProcesses(profile: string): ProcessMemory[] {
  const found: ProcessMemory[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    // Chromium's children rewrite their command line as one string (arguments joined by spaces).
    let line: string;
    try {
      line = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue;
    }
    if (!` ${line} `.includes(` --user-data-dir=${profile} `)) continue;
    const memory = memoryOf(Number(name));
    if (!memory) continue;
    const type = /(?:^| )--type=(\S+)/.exec(line)?.[1] ?? 'browser';
    found.push({ pid: Number(name), type, ...memory });
  }
  return found;
}

/**
 * The renderer of a browser's one page: its largest renderer (the others are spare or internal ones,
 * a few MB each), by resident memory.
 */
export function pageRenderer(processes: readonly ProcessMemory[]): ProcessMemory | null {
  let largest: ProcessMemory | null = null;
  for (const each of processes)
    if (each.type === 'renderer' && (!largest || each.rssBytes > largest.rssBytes)) largest = each;
  return largest;
}
