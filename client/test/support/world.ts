import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI as AGENT_CLI, testCamera } from '@sealcam/device-agent/dist/test/support/agent-process.js';

// One relay launcher, one test camera and one poller for every package's tests.
export {
  CLI as AGENT_CLI,
  testCamera,
  until,
} from '@sealcam/device-agent/dist/test/support/agent-process.js';
export { startRelay, type TestRelay } from '@sealcam/device-agent/dist/test/support/relay.js';

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
