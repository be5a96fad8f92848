import { readFile, rm, writeFile } from 'node:fs/promises';
import lockfile from 'proper-lockfile';
import { AgentError } from '../errors.js';
import type { StatePaths } from './paths.js';
import { processAlive } from './status-file.js';

const LOCK_OPTIONS = { stale: 20_000, update: 5_000 } as const;

/**
 * proper-lockfile keys its own bookkeeping by the locked path, so the run lock and the viewer-list
 * lock must name different paths (locking the state directory twice corrupts that bookkeeping).
 */
function runLockTarget(paths: StatePaths): string {
  return paths.lock.replace(/\.lock$/, '');
}

/**
 * One `run` per state directory: two agents with one identity would replace each other's relay
 * connection and share an outbox. The lock (proper-lockfile) is refreshed while the process lives;
 * the pid written next to it lets a restart after kill -9 take over at once instead of waiting for
 * the lock to go stale.
 */
export async function acquireRunLock(paths: StatePaths): Promise<() => Promise<void>> {
  const pidFile = `${paths.lock}.pid`;
  const take = () =>
    lockfile.lock(runLockTarget(paths), {
      ...LOCK_OPTIONS,
      realpath: false,
      lockfilePath: paths.lock,
      onCompromised: (error) => {
        throw new AgentError('LOCKED', `the state directory lock was lost: ${error.message}`);
      },
    });
  let release: () => Promise<void>;
  try {
    release = await take();
  } catch {
    const holder = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && processAlive(holder))
      throw new AgentError('LOCKED', `another device-agent (pid ${holder}) is running with ${paths.root}`);
    await rm(paths.lock, { recursive: true, force: true });
    try {
      release = await take();
    } catch {
      throw new AgentError('LOCKED', `another device-agent is running with ${paths.root}`);
    }
  }
  await writeFile(pidFile, `${process.pid}\n`, { mode: 0o600 });
  return async () => {
    await rm(pidFile, { force: true });
    await release();
  };
}

export async function runningAgentPid(paths: StatePaths): Promise<number | null> {
  const held = await lockfile
    .check(paths.root, { ...LOCK_OPTIONS, lockfilePath: paths.lock })
    .catch(() => false);
  if (!held) return null;
  const pid = Number((await readFile(`${paths.lock}.pid`, 'utf8').catch(() => '')).trim());
  return Number.isInteger(pid) && pid > 0 && processAlive(pid) ? pid : null;
}
