import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const relayMain = join(dirname(require.resolve('@sealcam/relay/package.json')), 'dist', 'src', 'main.js');
export const AGENT_CLI = join(
  dirname(require.resolve('@sealcam/device-agent/package.json')),
  'dist',
  'src',
  'cli.js',
);

export interface TestRelay {
  readonly base: string;
  readonly output: string[];
  stop(): Promise<void>;
}

/** The real relay in its own process (as operators start it), on a free loopback port. */
export async function startRelay(env: Record<string, string> = {}): Promise<TestRelay> {
  const child: ChildProcess = spawn(process.execPath, ['--conditions=sealcam-relay', relayMain], {
    env: {
      ...process.env,
      SEALCAM_HOST: '127.0.0.1',
      SEALCAM_PORT: '0',
      SEALCAM_LOG_LEVEL: 'warn',
      SEALCAM_CHALLENGES_PER_SECOND_PER_SOURCE: '1000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout?.on('data', (data) => output.push(String(data)));
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`relay did not start: ${output.join('')}`)), 15_000);
    child.stderr?.on('data', (data) => {
      output.push(String(data));
      const match = /listening on (http:\/\/[^\s]+)/.exec(String(data));
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`relay exited with ${code}: ${output.join('')}`));
    });
  });
  return {
    base,
    output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}

/** A synthetic camera small and busy enough for tests: motion every few seconds. */
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

export interface TestAgent {
  readonly stateDir: string;
  /** Starts `device-agent pair` and resolves with the pairing code it prints (answer it with Viewer.pair). */
  pairingCode(): Promise<{ code: string; link: string; done: Promise<number | null> }>;
  /** Starts `device-agent run`; resolves once it reports running. */
  run(): Promise<void>;
  stop(): Promise<void>;
  readonly output: string[];
}

/** A real device agent (its CLI, as child processes) with synthetic cameras, against `relayUrl`. */
export function createAgent(relayUrl: string, cameras = [testCamera('cam-1')]): TestAgent {
  const stateDir = mkdtempSync(join(tmpdir(), 'sealcam-client-agent-'));
  writeFileSync(
    join(stateDir, 'config.json'),
    JSON.stringify({ relayUrl, retryMaxDelaySeconds: 3, cameras }, null, 2),
  );
  const init = spawnSync(process.execPath, [AGENT_CLI, '--state', stateDir, 'init'], { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`agent init failed: ${init.stderr}`);
  const output: string[] = [];
  const children: ChildProcess[] = [];
  const start = (args: string[]) => {
    const child = spawn(process.execPath, [AGENT_CLI, '--state', stateDir, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    child.stdout?.on('data', (data) => output.push(String(data)));
    child.stderr?.on('data', (data) => output.push(String(data)));
    return child;
  };
  const waitFor = (child: ChildProcess, pattern: RegExp, timeoutMs = 20_000) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${pattern}: ${output.join('')}`)),
        timeoutMs,
      );
      const check = () => {
        const match = pattern.exec(output.join(''));
        if (match) {
          clearTimeout(timer);
          child.stdout?.off('data', check);
          child.stderr?.off('data', check);
          resolve(match);
        }
      };
      child.stdout?.on('data', check);
      child.stderr?.on('data', check);
      child.once('exit', () => {
        clearTimeout(timer);
        reject(new Error(`agent exited before ${pattern}: ${output.join('')}`));
      });
      check();
    });
  return {
    stateDir,
    output,
    async pairingCode() {
      const child = start(['pair', '--no-qr']);
      const [, link] = await waitFor(child, /pairing link: (\S+)/);
      const [, code] = await waitFor(child, /pairing code: (SCP1-[A-Za-z0-9-]+)/);
      const done = new Promise<number | null>((resolve) => child.once('exit', (status) => resolve(status)));
      return { code: code!, link: link!, done };
    },
    async run() {
      const child = start(['run']);
      await waitFor(child, /agent running/);
    },
    async stop() {
      await Promise.all(
        children.map(async (child) => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          await once(child, 'exit');
          clearTimeout(timer);
        }),
      );
    },
  };
}

/** Polls `check` every 200 ms until it returns a truthy value (bounded by `timeoutMs`). */
export async function until<T>(
  check: () => T | Promise<T>,
  timeoutMs: number,
  what: string,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}
