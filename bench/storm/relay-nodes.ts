import { randomBytes } from 'node:crypto';
import { LOOPBACK_FLEET_LIMITS, launchRelay, type RelayProcess } from '@sealcam/relay/launcher';
import { RedisServer } from '@sealcam/relay/redis-server';
import { cpuSeconds, rssBytes } from './kernel-counters.js';

export interface RelayNodesOptions {
  readonly nodes: number;
  readonly store: 'memory' | 'redis';
  readonly tokenSeconds: number;
  /** SEALCAM_* settings over the storm's own (admission figures under test). */
  readonly env: Readonly<Record<string, string>>;
  /** Extra node flags for each relay (e.g. --cpu-prof). */
  readonly nodeArgs?: readonly string[];
  /** 'lifted': the fleet shares 127.0.0.1; 'defaults': it comes from many addresses (homes). */
  readonly perSourceLimits: 'lifted' | 'defaults';
}

/**
 * K relay processes as an operator runs them (their own processes, the relay's node flags), on
 * loopback, sharing one Redis (a test-owned redis-server on a free port) when there are several or
 * when asked, and one token secret. Their memory and CPU are read from /proc; their counters from
 * each one's /metrics.
 */
export class RelayNodes {
  private peakRss = 0;
  private readonly sampler: ReturnType<typeof setInterval>;

  private constructor(
    readonly relays: readonly RelayProcess[],
    private readonly redis: RedisServer | null,
  ) {
    this.sampler = setInterval(() => this.sample(), 250);
    this.sampler.unref();
  }

  static async start(options: RelayNodesOptions): Promise<RelayNodes> {
    const redis = options.store === 'redis' ? await RedisServer.start() : null;
    const env: Record<string, string> = {
      SEALCAM_HOST: '127.0.0.1',
      SEALCAM_STORE: options.store,
      ...(redis ? { SEALCAM_REDIS_URL: redis.url } : {}),
      SEALCAM_TOKEN_SECRET: randomBytes(32).toString('hex'),
      SEALCAM_TOKEN_TTL_SECONDS: String(options.tokenSeconds),
      // With every device on 127.0.0.1 the per-source limits are lifted, nothing else.
      ...(options.perSourceLimits === 'lifted'
        ? { ...LOOPBACK_FLEET_LIMITS, SEALCAM_CHALLENGES_PER_SECOND_PER_SOURCE: '1000000' }
        : {}),
      // This machine allows 20,000 open files per process: stay below it (503 + Retry-After beyond).
      SEALCAM_MAX_CONNECTIONS: '19000',
      SEALCAM_LOG_LEVEL: 'error',
      ...options.env,
    };
    const relays: RelayProcess[] = [];
    try {
      for (let node = 0; node < options.nodes; node++)
        relays.push(await launchRelay({ env, nodeArgs: options.nodeArgs ?? [] }));
    } catch (error) {
      for (const relay of relays) await relay.kill();
      await redis?.stop();
      throw error;
    }
    return new RelayNodes(relays, redis);
  }

  get urls(): string[] {
    return this.relays.map((relay) => relay.base);
  }

  private sample(): void {
    for (const relay of this.relays) this.peakRss = Math.max(this.peakRss, rssBytes(relay.pid) ?? 0);
  }

  /** The largest RSS any node had since the last reset (sampled every 250 ms), bytes. */
  takePeakRss(): number {
    this.sample();
    const peak = this.peakRss;
    this.peakRss = 0;
    return peak;
  }

  /** CPU seconds of every node together so far. */
  cpuSeconds(): number {
    return this.relays.reduce((sum, relay) => sum + (cpuSeconds(relay.pid) ?? 0), 0);
  }

  /** A counter of every node summed, over all its series or those whose labels contain `labels`. */
  async counter(name: string, labels?: string): Promise<number> {
    let total = 0;
    for (const relay of this.relays) {
      const response = await fetch(`${relay.adminBase}/metrics`, { signal: AbortSignal.timeout(30_000) });
      if (!response.ok) throw new Error(`relay metrics: HTTP ${response.status}`);
      for (const line of (await response.text()).split('\n'))
        if (
          labels
            ? line.startsWith(`${name}{`) && line.includes(labels)
            : line.startsWith(`${name}{`) || line.startsWith(`${name} `)
        )
          total += Number(line.split(' ').at(-1));
    }
    return total;
  }

  async stop(): Promise<void> {
    clearInterval(this.sampler);
    for (const relay of this.relays) await relay.stop();
    await this.redis?.stop();
  }
}
