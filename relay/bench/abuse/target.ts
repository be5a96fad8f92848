import { readFileSync } from 'node:fs';
import { launchRelay, RELAY_NODE_FLAGS, type RelayProcess } from '@sealcam/relay/launcher';
import { RedisServer } from '@sealcam/relay/redis-server';

export type StoreKind = 'memory' | 'redis';
export const STORES: readonly StoreKind[] = ['memory', 'redis'];

/** The configuration every hostile-tenant relay runs with (docs: contract of issue #14). */
export const STORE_MAX_BYTES = 64 * 1024 * 1024;
export const CACHE_MAX_BYTES = 16 * 1024 * 1024;
/** A V8 size flag of the relay's (relay/src/node-flags.ts), in MiB. */
function flagMiB(name: string): number {
  const flag = RELAY_NODE_FLAGS.find((item) => item.startsWith(`${name}=`));
  if (!flag) throw new Error(`the relay's node flags no longer set ${name}`);
  return Number(flag.split('=')[1]);
}

/**
 * The heap the relay may hold before V8 collects, by its own flags: the old-space floor
 * (`--initial-old-space-size`, below which V8 skips full collections) and the young generation
 * (two semi-spaces of `--max-semi-space-size`), plus 64 MiB of code, buffers and sockets.
 */
export const HEAP_ALLOWANCE_MIB =
  flagMiB('--initial-old-space-size') + 2 * flagMiB('--max-semi-space-size') + 64;
/** The relay's memory budget: store + caches + the heap allowance (448 MiB): 528 MiB here. */
export const RSS_BUDGET_MIB = (STORE_MAX_BYTES + CACHE_MAX_BYTES) / 1024 / 1024 + HEAP_ALLOWANCE_MIB;
/** The per-device quota the relay derives by default (storeMaxBytes / 16). */
export const DEVICE_QUOTA_BYTES = STORE_MAX_BYTES / 16;
/** What the devices of one address may store together by default (storeMaxBytes / 8). */
export const ADDRESS_QUOTA_BYTES = STORE_MAX_BYTES / 8;

/** Resident memory of a process in MiB: now (VmRSS) and its peak so far (VmHWM); null once it is gone. */
export function residentMiB(pid: number): { rss: number; hwm: number } | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  if (/^State:\s+[ZX]/m.test(status)) return null;
  const field = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) / 1024;
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

/** A relay process under attack: its addresses, liveness and the peak resident memory seen. */
export interface Target {
  readonly store: StoreKind;
  readonly base: string;
  readonly wsBase: string;
  /** The admin listener (/metrics, detailed health), when the launcher reports one. */
  readonly adminBase: string | undefined;
  readonly pid: number;
  /** The relay process still runs. */
  alive(): boolean;
  /** Peak resident memory in MiB (VmHWM, and every VmRSS sample taken). */
  peakRssMiB(): number;
  /** What the relay wrote on stderr/stdout (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts the relay exactly as operators do (its public launcher) with the hostile-tenant budget,
 * on the memory store or on Redis (a private redis-server on a free port, never 6379).
 */
export async function startTarget(store: StoreKind, env: Record<string, string> = {}): Promise<Target> {
  const redis = store === 'redis' ? await RedisServer.start() : null;
  let relay: RelayProcess;
  try {
    relay = await launchRelay({
      env: {
        SEALCAM_HOST: '127.0.0.1',
        SEALCAM_STORE: store,
        SEALCAM_STORE_MAX_BYTES: String(STORE_MAX_BYTES),
        SEALCAM_CACHE_MAX_BYTES: String(CACHE_MAX_BYTES),
        SEALCAM_ADMIN_PORT: '0',
        SEALCAM_LOG_LEVEL: 'error',
        ...(redis ? { SEALCAM_REDIS_URL: redis.url } : {}),
        ...env,
      },
    });
  } catch (error) {
    await redis?.stop();
    throw error;
  }
  let exited = false;
  let peak = 0;
  const sample = () => {
    const now = residentMiB(relay.pid);
    if (!now) {
      exited = true;
      return;
    }
    peak = Math.max(peak, now.rss, now.hwm);
  };
  sample();
  const sampler = setInterval(sample, 250);
  sampler.unref();
  return {
    store,
    base: relay.base,
    wsBase: relay.wsBase,
    adminBase: (relay as RelayProcess & { adminBase?: string }).adminBase,
    pid: relay.pid,
    alive() {
      sample();
      return !exited;
    },
    peakRssMiB() {
      sample();
      return Math.round(peak * 10) / 10;
    },
    output: () => relay.output.join(''),
    async stop() {
      clearInterval(sampler);
      await relay.kill();
      await redis?.stop();
    },
  };
}
