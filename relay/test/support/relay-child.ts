import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RELAY_NODE_FLAGS } from '../../src/node-flags.js';

const main = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'src', 'main.js');

export { RELAY_NODE_FLAGS };

export interface ChildRelay {
  readonly pid: number;
  readonly base: string;
  readonly wsBase: string;
  readonly output: string[];
  /** SIGTERM: graceful shutdown; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: the relay vanishes at once (crash and outage tests). */
  kill(): Promise<void>;
}

/** A relay in its own process, started as operators start it (the relay's node flags, --conditions=sealcam-relay). */
export async function startChildRelay(
  env: Record<string, string>,
  nodeArgs: string[] = [],
): Promise<ChildRelay> {
  const child: ChildProcess = spawn(
    process.execPath,
    [...RELAY_NODE_FLAGS, ...nodeArgs, '--conditions=sealcam-relay', main],
    {
      env: { ...process.env, SEALCAM_PORT: '0', SEALCAM_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', process.env.SEALCAM_BENCH_NODE_ARGS ? 'inherit' : 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  child.stdout?.on('data', (data) => output.push(String(data)));
  const origin = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`relay did not start within 60 s: ${output.join('')}`)),
      60_000,
    );
    child.stderr?.on('data', (data) => {
      const text = String(data);
      output.push(text);
      const match = /listening on (http:\/\/[^\s]+)/.exec(text);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`relay exited with ${code}: ${output.join('')}`)));
  });
  return {
    pid: child.pid ?? 0,
    base: origin,
    wsBase: origin.replace('http', 'ws'),
    output,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
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
