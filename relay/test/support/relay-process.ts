import { Writable } from 'node:stream';
import { loadConfig, type RelayConfig } from '../../src/config/config.js';
import { createRelay, type Relay } from '../../src/server.js';

export interface RunningRelay {
  readonly relay: Relay;
  readonly base: string;
  readonly wsBase: string;
  /** The admin listener (/metrics, detailed /healthz and /readyz), on loopback. */
  readonly adminBase: string;
  /** Every log line the relay wrote (for the marker scan). */
  readonly logs: string[];
  /** Replies whose status their route does not declare, as "METHOD /route STATUS" (should be none). */
  undeclaredReplies(): Promise<string[]>;
  stop(): Promise<void>;
}

/** An in-process relay on a free loopback port, logging into memory. */
export async function startInProcessRelay(
  overrides: Partial<RelayConfig> = {},
  random?: () => number,
): Promise<RunningRelay> {
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  // Tests make many identities and connections from 127.0.0.1; a test about a limit sets it itself.
  const config = loadConfig(
    {},
    {
      port: 0,
      adminPort: 0,
      logLevel: 'info',
      newDevicesPerSourcePerHour: 1_000_000,
      socketsPerSource: 1_000_000,
      connectionsPerSource: 1_000_000,
      uploadBytesInFlightPerSource: 1_073_741_824,
      ...overrides,
    },
  );
  const relay = await createRelay(config, { logStream, ...(random ? { random } : {}) });
  const { port, adminOrigin } = await relay.start();
  return {
    relay,
    base: `http://127.0.0.1:${port}`,
    wsBase: `ws://127.0.0.1:${port}`,
    adminBase: adminOrigin,
    logs,
    async undeclaredReplies() {
      const { values } = await relay.context.metrics.undeclaredStatuses.get();
      return values
        .filter((sample) => sample.value > 0)
        .map(({ labels }) => `${labels.method} ${labels.route} ${labels.status}`);
    },
    stop: () => relay.close(),
  };
}
