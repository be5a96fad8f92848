import { readFileSync } from 'node:fs';
import { LOOPBACK_FLEET_LIMITS, launchRelay, type RelayProcess } from '@sealcam/relay/launcher';
import { RedisServer } from '@sealcam/relay/redis-server';

export interface DrillRelay {
  readonly url: string;
  readonly pid: number;
  /** Peak resident memory of the relay process so far (VmHWM), MB. */
  peakRssMB(): number;
  /** The relay's own count of misroutes it injected (its /metrics, on the admin listener). */
  faultMisroutes(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * The relay as operators run it (its own process, `--conditions=sealcam-relay`), with the fault seam
 * switched on when asked. Every drill identity connects from 127.0.0.1, so the per-source challenge
 * limit is lifted and the handshake bucket raised; everything else keeps its default, including the
 * admission control that meets the reconnect storm (503 + Retry-After beyond the bucket).
 */
export async function startDrillRelay(options: {
  store: 'memory' | 'redis';
  fault: 'mixup' | 'none';
  mixupRate: number;
}): Promise<DrillRelay> {
  const redis = options.store === 'redis' ? await RedisServer.start() : null;
  let relay: RelayProcess;
  try {
    relay = await launchRelay({
      env: {
        SEALCAM_STORE: options.store,
        ...(redis ? { SEALCAM_REDIS_URL: redis.url } : {}),
        ...(options.fault === 'mixup'
          ? { SEALCAM_FAULT_INJECTION: 'mixup', SEALCAM_FAULT_RATE: String(options.mixupRate) }
          : {}),
        SEALCAM_CHALLENGES_PER_SECOND_PER_SOURCE: '1000000',
        ...LOOPBACK_FLEET_LIMITS,
        SEALCAM_HANDSHAKE_RATE: '2000',
        SEALCAM_HANDSHAKE_BURST: '4000',
        // This machine allows 20,000 open files per process: stay below it (503 + Retry-After beyond).
        SEALCAM_MAX_CONNECTIONS: '19000',
        SEALCAM_STORE_MAX_BYTES: String(2 * 1024 ** 3),
        SEALCAM_LOG_LEVEL: 'error',
      },
    });
  } catch (error) {
    await redis?.stop();
    throw error;
  }
  return {
    url: relay.base,
    pid: relay.pid,
    peakRssMB() {
      const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${relay.pid}/status`, 'utf8'));
      return match ? Math.round(Number(match[1]) / 1024) : Number.NaN;
    },
    async faultMisroutes() {
      const response = await fetch(`${relay.adminBase}/metrics`);
      if (!response.ok) throw new Error(`relay metrics: HTTP ${response.status}`);
      const text = await response.text();
      let total = 0;
      for (const line of text.split('\n'))
        if (line.startsWith('sealcam_relay_fault_misroutes_total')) total += Number(line.split(' ').at(-1));
      return total;
    },
    async stop() {
      await relay.stop();
      await redis?.stop();
    },
  };
}
