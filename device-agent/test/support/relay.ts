import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const relayMain = join(dirname(require.resolve('@sealcam/relay/package.json')), 'dist', 'src', 'main.js');

export interface TestRelay {
  readonly base: string;
  readonly port: number;
  readonly output: string[];
  stop(): Promise<void>;
}

/**
 * The real relay in its own process, started as operators start it. `port` 0 picks a free one;
 * passing the previous port restarts a relay at the same address (the "relay down for a while" test).
 */
export async function startRelay(env: Record<string, string> = {}, port = 0): Promise<TestRelay> {
  const child: ChildProcess = spawn(process.execPath, ['--conditions=sealcam-relay', relayMain], {
    env: {
      ...process.env,
      SEALCAM_HOST: '127.0.0.1',
      SEALCAM_PORT: String(port),
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
      const text = String(data);
      output.push(text);
      const match = /listening on (http:\/\/[^\s]+)/.exec(text);
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
    port: Number(new URL(base).port),
    output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}
