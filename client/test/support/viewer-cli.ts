import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The compiled `viewer` CLI. */
export const VIEWER_CLI = fileURLToPath(new URL('../../src/cli/viewer-cli.js', import.meta.url));

export interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export interface RunningCli {
  readonly child: ChildProcess;
  readonly done: Promise<CliRun>;
  /** What it printed so far. */
  stdout(): string;
}

/**
 * Starts `viewer --state <state> ...args` as a child process, killed after `timeoutMs` (generous: it
 * only ends a hung command; a busy machine starts and runs node slowly).
 */
export function launchViewerCli(state: string, args: string[], timeoutMs = 120_000): RunningCli {
  const started = Date.now();
  const child = spawn(process.execPath, [VIEWER_CLI, '--state', state, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (data) => {
    stdout += String(data);
  });
  child.stderr.on('data', (data) => {
    stderr += String(data);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<CliRun>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, ms: Date.now() - started });
    });
  });
  return { child, done, stdout: () => stdout };
}

export function runViewerCli(state: string, args: string[], timeoutMs?: number): Promise<CliRun> {
  return launchViewerCli(state, args, timeoutMs).done;
}
