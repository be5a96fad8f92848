import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The relay's command as npm links it for this workspace (its public entry point). */
const RELAY_BIN = join(
  fileURLToPath(new URL('.', import.meta.url)),
  '../../../../node_modules/.bin/sealcam-relay',
);

export interface RelayUnderTest {
  readonly base: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Starts `sealcam-relay` (memory store, loopback) as a child process and waits for its address. */
export async function startRelay(env: Record<string, string> = {}): Promise<RelayUnderTest> {
  const child: ChildProcess = spawn(process.execPath, ['--conditions=sealcam-relay', RELAY_BIN], {
    env: { ...process.env, SEALCAM_PORT: '0', SEALCAM_LOG_LEVEL: 'warn', SEALCAM_STORE: 'memory', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const output: string[] = [];
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`relay did not start in 60 s: ${output.join('')}`)),
      60_000,
    );
    child.stderr?.on('data', (data) => {
      output.push(String(data));
      const match = /listening on (http:\/\/\S+)/.exec(output.join(''));
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`relay exited with ${code}: ${output.join('')}`)));
  });
  return {
    base,
    port: Number(new URL(base).port),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
