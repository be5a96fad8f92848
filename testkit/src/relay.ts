import { LOOPBACK_FLEET_LIMITS, launchRelay } from '@sealcam/relay/launcher';

export interface TestRelay {
  readonly base: string;
  readonly wsBase: string;
  /** The relay's admin listener (/metrics, detailed /healthz and /readyz) on loopback. */
  readonly adminBase: string;
  readonly port: number;
  readonly pid: number;
  readonly output: string[];
  /** Kills the relay at once (an outage, not a shutdown). */
  stop(): Promise<void>;
}

/**
 * The real relay in its own process, as operators start it (through the relay's public launcher),
 * on loopback. `port` 0 picks a free one; passing the previous port brings a relay back at the same
 * address (the "relay down" test). Many identities authenticate from 127.0.0.1 here, so the
 * per-source limits (challenges, new devices, sockets, connections) are raised; `env` adds or
 * overrides configuration.
 */
export async function startRelay(env: Record<string, string> = {}, port = 0): Promise<TestRelay> {
  const relay = await launchRelay({
    env: {
      SEALCAM_HOST: '127.0.0.1',
      SEALCAM_PORT: String(port),
      SEALCAM_CHALLENGES_PER_SECOND_PER_SOURCE: '1000',
      ...LOOPBACK_FLEET_LIMITS,
      ...env,
    },
  });
  return {
    base: relay.base,
    wsBase: relay.wsBase,
    adminBase: relay.adminBase,
    port: Number(new URL(relay.base).port),
    pid: relay.pid,
    output: relay.output,
    stop: () => relay.kill(),
  };
}
