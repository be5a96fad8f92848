/**
 * `@sealcam/relay/launcher`: runs the relay as a program, in its own process, exactly as operators
 * start it (its V8 heap flags from node-flags.ts and `--conditions=sealcam-relay`), for programs that
 * need a relay of their own: the demo (`npm start`), the drill, benchmarks and other packages' tests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { RELAY_NODE_FLAGS } from './node-flags.js';

export { RELAY_NODE_FLAGS };

/**
 * Per-source limits raised for a fleet on one loopback address (tests, the drill, benchmarks):
 * there, thousands of identities log in, connect and upload from 127.0.0.1, which the defaults
 * rightly treat as one stranger. Never for a relay that faces a network. Every per-source limit is
 * here but the challenge rate, which each user sets to what it measures.
 */
export const LOOPBACK_FLEET_LIMITS: Readonly<Record<string, string>> = {
  SEALCAM_NEW_DEVICES_PER_SOURCE_PER_HOUR: '1000000',
  SEALCAM_SOCKETS_PER_SOURCE: '1000000',
  SEALCAM_CONNECTIONS_PER_SOURCE: '1000000',
  SEALCAM_UNAUTHENTICATED_SOCKETS_PER_SOURCE: '1000000',
  SEALCAM_UPLOAD_BYTES_IN_FLIGHT_PER_SOURCE: '1073741824',
};

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

/** The node arguments that run the relay program: its heap flags, its import condition, its main module. */
export function relayProgramArgs(nodeArgs: readonly string[] = []): string[] {
  return [...RELAY_NODE_FLAGS, ...nodeArgs, '--conditions=sealcam-relay', MAIN];
}

export interface RelayProcessOptions {
  /** Configuration (SEALCAM_* variables, see relay/README.md) over this process's environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Extra node flags (e.g. --cpu-prof). */
  readonly nodeArgs?: readonly string[];
  /** The relay's stdout: collected into `output` (default) or passed through. */
  readonly stdout?: 'collect' | 'inherit';
  /** How long the relay may take to listen before the launch fails (default 60 s). */
  readonly startTimeoutMs?: number;
}

export interface RelayProcess {
  readonly pid: number;
  /** The relay's origin, e.g. http://127.0.0.1:8080. */
  readonly base: string;
  /** The same origin for WebSockets (ws://…). */
  readonly wsBase: string;
  /** The admin listener's origin (/metrics, detailed /healthz and /readyz), e.g. http://127.0.0.1:9090. */
  readonly adminBase: string;
  /** What the relay wrote on stdout (when collected) and stderr, chunk by chunk. */
  readonly output: string[];
  /** SIGTERM: graceful shutdown; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: the relay vanishes at once (an outage, not a shutdown). */
  kill(): Promise<void>;
}

/**
 * Starts the relay and resolves once it listens. SEALCAM_PORT and SEALCAM_ADMIN_PORT default to 0
 * (free ports, so that several relays run side by side) and SEALCAM_LOG_LEVEL to warn; the launch
 * fails if the relay exits or does not listen in time.
 */
export async function launchRelay(options: RelayProcessOptions = {}): Promise<RelayProcess> {
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  const child: ChildProcess = spawn(process.execPath, relayProgramArgs(options.nodeArgs), {
    env: {
      ...process.env,
      SEALCAM_PORT: '0',
      SEALCAM_ADMIN_PORT: '0',
      SEALCAM_LOG_LEVEL: 'warn',
      ...options.env,
    },
    stdio: ['ignore', options.stdout === 'inherit' ? 'inherit' : 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout?.on('data', (data) => output.push(String(data)));
  const origins = await new Promise<{ origin: string; admin: string }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`relay did not start within ${timeoutMs} ms: ${output.join('')}`));
    }, timeoutMs);
    let stderr = '';
    child.stderr?.on('data', (data) => {
      const text = String(data);
      output.push(text);
      stderr += text;
      const match = /listening on (http:\/\/\S+) .*; admin .* on (http:\/\/\S+)\n/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve({ origin: match[1]!, admin: match[2]! });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`relay exited with ${code}: ${output.join('')}`));
    });
  });
  return {
    pid: child.pid ?? 0,
    base: origins.origin,
    wsBase: origins.origin.replace('http', 'ws'),
    adminBase: origins.admin,
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
