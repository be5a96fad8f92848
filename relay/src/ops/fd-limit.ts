import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The process's open-file limit; null fields where the platform does not say ("unlimited" too). */
export interface FdLimit {
  readonly soft: number | null;
  readonly hard: number | null;
  /** How the soft limit was raised to the hard one, or why it was not. */
  readonly raise: 'not-needed' | 'raised' | 'unknown-limit' | `failed: ${string}`;
}

function number(text: string | undefined): number | null {
  return text && /^\d+$/.test(text) ? Number(text) : null;
}

/** The "Max open files" line of /proc/self/limits (Linux); null elsewhere. */
export function readFdLimit(path = '/proc/self/limits'): { soft: number | null; hard: number | null } | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const line = text.split('\n').find((item) => item.startsWith('Max open files'));
  if (!line) return null;
  const [soft, hard] = line.slice('Max open files'.length).trim().split(/\s+/);
  return { soft: number(soft), hard: number(hard) };
}

/**
 * Reads the limit and raises the soft limit to the hard one. Node has no setrlimit, so this runs
 * util-linux's `prlimit --pid <self>` on the running process; without it the soft limit stays and
 * the caller says so.
 */
export function raiseFdLimit(path = '/proc/self/limits'): FdLimit {
  const before = readFdLimit(path);
  if (!before || before.soft === null || before.hard === null)
    return { soft: before?.soft ?? null, hard: before?.hard ?? null, raise: 'unknown-limit' };
  if (before.soft >= before.hard) return { ...before, raise: 'not-needed' };
  const result = spawnSync('prlimit', [`--pid=${process.pid}`, `--nofile=${before.hard}:${before.hard}`], {
    stdio: 'ignore',
    timeout: 5000,
  });
  if (result.error || result.status !== 0) {
    const why = result.error
      ? ((result.error as NodeJS.ErrnoException).code ?? 'error')
      : `exit ${result.status}`;
    return { ...before, raise: `failed: prlimit ${why}` };
  }
  const after = readFdLimit(path);
  if (!after || after.soft !== before.hard) return { ...before, raise: 'failed: limit unchanged' };
  return { ...after, raise: 'raised' };
}

export interface ConnectionCaps {
  /** net.Server maxConnections: every socket (HTTP and WebSocket) the listener accepts. */
  readonly server: number;
  /** WebSocket connections admitted (below `server`, so HTTP requests still find a socket). */
  readonly webSockets: number;
  /** The configured WebSocket cap did not fit and was lowered. */
  readonly lowered: boolean;
}

/**
 * Socket caps that stay below the file-descriptor limit minus `reserve` (Redis, files, logs): the
 * listener takes at most that many, WebSockets at most 7/8 of them. Unknown limit: the configured cap.
 */
export function connectionCaps(
  softLimit: number | null,
  configured: number,
  reserve: number,
): ConnectionCaps {
  if (softLimit === null)
    return { server: Math.max(1024, configured * 2), webSockets: configured, lowered: false };
  const server = Math.max(16, softLimit - reserve);
  const fits = Math.max(8, server - Math.max(8, Math.floor(server / 8)));
  return { server, webSockets: Math.min(configured, fits), lowered: configured > fits };
}
