import { startChildRelay } from '@sealcam/relay/dist/test/support/relay-child.js';

export interface TestRelay {
  readonly base: string;
  readonly port: number;
  readonly output: string[];
  /** Kills the relay at once (an outage, not a shutdown). */
  stop(): Promise<void>;
}

/**
 * The real relay in its own process, as operators start it, on loopback. `port` 0 picks a free one;
 * passing the previous port brings a relay back at the same address (the "relay down" test). Many
 * identities authenticate from 127.0.0.1 here, so the per-source challenge limit is raised.
 */
export async function startRelay(env: Record<string, string> = {}, port = 0): Promise<TestRelay> {
  const relay = await startChildRelay({
    SEALCAM_HOST: '127.0.0.1',
    SEALCAM_PORT: String(port),
    SEALCAM_CHALLENGES_PER_SECOND_PER_SOURCE: '1000',
    ...env,
  });
  return {
    base: relay.base,
    port: Number(new URL(relay.base).port),
    output: relay.output,
    stop: () => relay.kill(),
  };
}
