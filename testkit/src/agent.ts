import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDeviceIdentity, statePaths } from '@sealcam/device-agent';
import { AGENT_PROGRAM } from '@sealcam/device-agent/program';
import { opaqueStreamId, type StreamId } from '@sealcam/protocol';

/** The `sealcam-agent` command's module: tests run it as `node <CLI> --state <dir> <command>`. */
export const CLI = AGENT_PROGRAM;

/** A synthetic camera small and busy enough for tests: motion every few seconds, short cooldown. */
export function testCamera(id: string, overrides: Record<string, unknown> = {}) {
  return {
    id,
    source: 'synthetic',
    width: 320,
    height: 180,
    fps: 10,
    quality: 60,
    motionEverySeconds: 4,
    motionSeconds: 1,
    motion: { cooldownSeconds: 0.5, endAfterSeconds: 0.3, backgroundSeconds: 0.5 },
    clip: { preRollSeconds: 0.5, postRollSeconds: 0.5 },
    ...overrides,
  };
}

export interface AgentDir {
  readonly stateDir: string;
  readonly configPath: string;
  /**
   * Runs a CLI command to completion. `status` is null only if the command was killed: by a signal
   * (`signal`), e.g. after `timeoutMs` (generous by default: a loaded machine starts node slowly).
   */
  cli(
    args: string[],
    timeoutMs?: number,
  ): { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };
}

/** A fresh state directory with a config file pointing at `relayUrl`. */
export function agentDir(relayUrl: string, config: Record<string, unknown> = {}): AgentDir {
  const stateDir = mkdtempSync(join(tmpdir(), 'sealcam-agent-'));
  const configPath = join(stateDir, 'config.json');
  writeFileSync(
    configPath,
    JSON.stringify(
      {
        relayUrl,
        rotateKeysSeconds: 600,
        retryMaxDelaySeconds: 3,
        cameras: [testCamera('cam-1')],
        ...config,
      },
      null,
      2,
    ),
  );
  return {
    stateDir,
    configPath,
    cli(args, timeoutMs = 120_000) {
      const result = spawnSync(process.execPath, [CLI, '--state', stateDir, ...args], {
        encoding: 'utf8',
        timeout: timeoutMs,
        env: { ...process.env, SEALCAM_AGENT_LOG_LEVEL: 'info' },
      });
      const stderr =
        result.signal === null
          ? result.stderr
          : `${result.stderr}[device-agent ${args.join(' ')} killed by ${result.signal}${result.error ? `: ${result.error.message}` : ''}]`;
      return { status: result.status, signal: result.signal, stdout: result.stdout, stderr };
    },
  };
}

export interface RunningCli {
  readonly child: ChildProcess;
  readonly stdout: string[];
  readonly stderr: string[];
  /** Resolves with the first stdout/stderr match of `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** SIGTERM (graceful) and wait for exit. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
  readonly exited: Promise<number | null>;
}

/** Starts a long-running CLI command (`run`, `pair`) as a child process. */
export function startCli(dir: AgentDir, args: string[]): RunningCli {
  const child = spawn(process.execPath, [CLI, '--state', dir.stateDir, ...args], {
    env: { ...process.env, SEALCAM_AGENT_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const waiter of waiters) waiter();
  };
  child.stdout?.on('data', (data) => {
    stdout.push(String(data));
    wake();
  });
  child.stderr?.on('data', (data) => {
    stderr.push(String(data));
    wake();
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      wake();
      resolve(code);
    });
  });
  return {
    child,
    stdout,
    stderr,
    exited,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(stdout.join('') + stderr.join(''));
          if (match) {
            cleanup();
            resolve(match);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            cleanup();
            reject(new Error(`exited before ${pattern}: ${stdout.join('')}${stderr.join('')}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `timed out after ${timeoutMs} ms waiting for ${pattern}: ${stdout.join('')}${stderr.join('').slice(-4000)}`,
            ),
          );
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}

/** Reads the agent's status file through the CLI. */
export function agentStatus(dir: AgentDir): {
  running: boolean;
  status?: {
    pid: number;
    outbox: { depth: number; uploaded: number };
    relay: { state: string };
    cameras: { epoch: number | null; events: number; framesSent: number }[];
  };
} {
  const result = dir.cli(['status', '--json']);
  if (result.status !== 0) throw new Error(`status failed (exit ${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout);
}

/** Pairs a viewer through `sealcam-agent pair`, returning both safety numbers. */
export async function pairViewer(
  dir: AgentDir,
  viewer: { pair(code: string, name?: string): Promise<string> },
  name = 'test viewer',
): Promise<{ agentSafetyNumber: string; viewerSafetyNumber: string }> {
  const pairing = startCli(dir, ['pair', '--no-qr']);
  try {
    const [, code] = await pairing.waitFor(/pairing code: (SCP1-[A-Za-z0-9-]+)/);
    const viewerSafetyNumber = await viewer.pair(code!, name);
    const [, agentSafetyNumber] = await pairing.waitFor(/safety number: ([0-9 ]+)\n/);
    const status = await pairing.exited;
    if (status !== 0) throw new Error(`pair exited with ${status}: ${pairing.stderr.join('')}`);
    return { agentSafetyNumber: agentSafetyNumber!.trim(), viewerSafetyNumber };
  } finally {
    await pairing.kill();
  }
}

export interface TestAgent {
  readonly stateDir: string;
  /** Starts `sealcam-agent pair` and resolves with the pairing code it prints (answer it with Viewer.pair). */
  pairingCode(): Promise<{ code: string; link: string; done: Promise<number | null> }>;
  /** Starts `sealcam-agent run`; resolves once it reports running. */
  run(): Promise<void>;
  stop(): Promise<void>;
  /** Everything the agent's commands printed, command by command. */
  readonly output: string[];
}

/** A real device agent (its CLI, as child processes) with synthetic cameras, against `relayUrl`. */
export function createAgent(
  relayUrl: string,
  cameras: readonly Record<string, unknown>[] = [testCamera('cam-1')],
): TestAgent {
  const dir = agentDir(relayUrl, { cameras });
  const init = dir.cli(['init']);
  if (init.status !== 0) throw new Error(`agent init failed: ${init.stderr}`);
  const commands: RunningCli[] = [];
  const start = (args: string[]) => {
    const command = startCli(dir, args);
    commands.push(command);
    return command;
  };
  return {
    stateDir: dir.stateDir,
    get output() {
      return commands.flatMap((command) => [...command.stdout, ...command.stderr]);
    },
    async pairingCode() {
      const pairing = start(['pair', '--no-qr']);
      const [, link] = await pairing.waitFor(/pairing link: (\S+)/);
      const [, code] = await pairing.waitFor(/pairing code: (SCP1-[A-Za-z0-9-]+)/);
      return { code: code!, link: link!, done: pairing.exited };
    },
    async run() {
      await start(['run']).waitFor(/agent running/);
    },
    async stop() {
      await Promise.all(
        commands.map(async (command) => {
          // The agent gives up a stuck stop after 15 s itself; this only ends a hung process.
          const timer = setTimeout(() => void command.kill(), 30_000);
          await command.stop();
          clearTimeout(timer);
        }),
      );
    },
  };
}

/**
 * The opaque stream id the agent whose state is in `stateDir` publishes for the camera configured as
 * `cameraId` (PROTOCOL.md §9.4), for tests that watch the relay from outside (a viewer learns it from
 * the device's sealed profile instead). The agent's identity must exist (after `init` or pairing).
 */
export async function streamIdOf(stateDir: string, cameraId: string): Promise<StreamId> {
  return opaqueStreamId(await loadDeviceIdentity(statePaths(stateDir)), cameraId);
}
