import { type FleetWorker, startFleet } from './fleet.js';
import { type HostileFigures, HostileSource } from './hostile-source.js';
import { cpuSeconds, listenQueueCounters } from './kernel-counters.js';
import { RelayNodes } from './relay-nodes.js';
import { type Back, FAILURE_KINDS, type FailureKind, type FromFleet } from './storm-protocol.js';

export interface StormOptions {
  readonly devices: number;
  readonly nodes: number;
  readonly store: 'memory' | 'redis';
  readonly workers: number;
  /** The relays' token lifetime: the echo check watches past one. */
  readonly tokenSeconds: number;
  /** How long the echo check watches after the storm; 0: no check. */
  readonly echoSeconds: number;
  /** Bound on each wait for the fleet to be back. */
  readonly timeoutSeconds: number;
  /** SEALCAM_* settings for the relays (admission under test). */
  readonly relayEnv: Readonly<Record<string, string>>;
  /** Extra node flags for each relay (e.g. --cpu-prof). */
  readonly relayNodeArgs?: readonly string[];
  /**
   * 0 (default): every device connects from 127.0.0.1 and the relays' per-source limits are lifted.
   * N: devices live N to a home, each home on its own loopback address, under the relays' default
   * per-source limits (as a real fleet arrives: from many addresses).
   */
  readonly devicesPerHome?: number;
  /** Half-open sockets one hostile address opens at node 0 when the storm begins (default 0). */
  readonly hostileSockets?: number;
}

export interface BackFigures {
  /** From the start until the last device was connected; null if some were not back within the bound. */
  readonly allBackSeconds: number | null;
  readonly back: number;
  readonly missing: number;
  readonly p50Seconds: number | null;
  readonly p90Seconds: number | null;
  readonly p99Seconds: number | null;
}

export interface StormReport {
  readonly devices: number;
  readonly nodes: number;
  readonly store: 'memory' | 'redis';
  readonly workers: number;
  /** The fleet's first connection (every device new to the relay). */
  readonly firstConnect: BackFigures;
  /** After the drop: every connection cut at once, every token discarded. */
  readonly storm: BackFigures;
  /** During the storm: the relays' CPU per device back, ms (all nodes together). */
  readonly relayCpuMsPerDevice: number;
  /** During the storm: the fleet workers' CPU per device back, ms (the devices' side, same machine). */
  readonly fleetCpuMsPerDevice: number;
  /** The largest RSS of any one relay process during the storm, MB. */
  readonly relayPeakRssMB: number;
  /** Refusals of the relays' admission control during the storm (503s and 429s, challenge and upgrade). */
  readonly admissionRejections: number;
  /** Failed attempts as the devices saw them, over the whole run, by kind. */
  readonly clientFailures: Record<FailureKind, number>;
  /** Connections dropped by the kernel because an accept queue was full, during the storm (machine-wide). */
  readonly listenOverflows: number;
  readonly listenDrops: number;
  /** Connections a newer one of the same device replaced (ghosts of abandoned attempts). */
  readonly replacedConnections: number;
  /** Homes the fleet lived in (null: every device on 127.0.0.1, per-source limits lifted). */
  readonly homes: number | null;
  /** Sockets the relays refused by a per-source cap during the storm (their own metric). */
  readonly sourceCapRefusals: number;
  /** The hostile address's sockets as it saw them after the storm (null: none was run). */
  readonly hostile: HostileFigures | null;
  readonly echo: {
    readonly watchedSeconds: number;
    readonly tokenSeconds: number;
    /** The most disconnections within any 5 s of the watch, and as a fraction of the fleet. */
    readonly largestDrop: number;
    readonly largestDropFraction: number;
    /** Connections closed by the relay at their token's expiry (over the whole run). */
    readonly closedAtExpiry: number;
    /** Devices connected when the watch ended. */
    readonly connectedAtEnd: number;
  } | null;
  readonly seconds: number;
}

function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function figures(backs: readonly Back[]): BackFigures {
  const ms = backs.flatMap((back) => back.ms).sort((a, b) => a - b);
  const missing = backs.reduce((sum, back) => sum + back.missing, 0);
  const seconds = (value: number | null) => (value === null ? null : Math.round(value) / 1000);
  return {
    allBackSeconds: missing === 0 ? seconds(ms.at(-1) ?? 0) : null,
    back: ms.length,
    missing,
    p50Seconds: seconds(percentile(ms, 50)),
    p90Seconds: seconds(percentile(ms, 90)),
    p99Seconds: seconds(percentile(ms, 99)),
  };
}

function answers<T extends FromFleet['type']>(
  replies: readonly FromFleet[],
  type: T,
): Extract<FromFleet, { type: T }>[] {
  return replies.map((reply) => {
    if (reply.type !== type) throw new Error(`storm worker answered ${reply.type}, not ${type}`);
    return reply as Extract<FromFleet, { type: T }>;
  });
}

/**
 * The storm: a fleet of devices made of the agent's own session and live-connection code, spread over
 * worker processes, connects to K relay nodes; then every connection is cut at once and every token
 * discarded, and the time until each device is connected again is measured, with the relays' CPU and
 * memory, admission refusals, the devices' failures and the kernel's listen-queue overflows. Then,
 * optionally, the echo check: disconnections watched past one token lifetime.
 */
export async function runStorm(
  options: StormOptions,
  progress: (line: string) => void = () => undefined,
): Promise<StormReport> {
  const started = performance.now();
  const devicesPerHome = options.devicesPerHome ?? 0;
  const nodes = await RelayNodes.start({
    nodes: options.nodes,
    store: options.store,
    tokenSeconds: options.tokenSeconds,
    env: options.relayEnv,
    nodeArgs: options.relayNodeArgs ?? [],
    perSourceLimits: devicesPerHome > 0 ? 'defaults' : 'lifted',
  });
  let fleet: FleetWorker[] = [];
  let hostile: HostileSource | null = null;
  const bound = options.timeoutSeconds * 1000;
  const everyone = async (message: Parameters<FleetWorker['ask']>[0], timeoutMs: number) =>
    Promise.all(fleet.map((worker) => worker.ask(message, timeoutMs)));
  try {
    fleet = await startFleet(options.devices, options.workers, nodes.urls, devicesPerHome);
    const homes = devicesPerHome > 0 ? Math.ceil(options.devices / devicesPerHome) : null;
    progress(
      `${options.devices} devices in ${options.workers} workers${homes ? `, ${homes} homes` : ''}; ${options.nodes} relay node(s), ${options.store} store`,
    );
    const first = figures(
      answers(await everyone({ type: 'connect', timeoutMs: bound }, bound + 60_000), 'back').map(
        (each) => each.back,
      ),
    );
    progress(
      `first connection: ${first.back} back in ${first.allBackSeconds ?? `— (${first.missing} missing)`} s`,
    );
    await new Promise((resolve) => setTimeout(resolve, 2000));

    const REJECTIONS = 'sealcam_relay_admission_rejections_total';
    const sourceCapCount = async () =>
      (await nodes.counter(REJECTIONS, 'kind="source-sockets"')) +
      (await nodes.counter(REJECTIONS, 'kind="source-sockets-total"'));
    const rejectionsBefore = await nodes.counter(REJECTIONS);
    const sourceCapBefore = await sourceCapCount();
    const kernelBefore = listenQueueCounters();
    const cpuBefore = nodes.cpuSeconds();
    const fleetCpu = () => fleet.reduce((sum, worker) => sum + (cpuSeconds(worker.pid) ?? 0), 0);
    const fleetBefore = fleetCpu();
    nodes.takePeakRss();
    if (options.hostileSockets) {
      const target = new URL(nodes.urls[0]!);
      hostile = new HostileSource(target.hostname, Number(target.port));
      hostile.open(options.hostileSockets);
      progress(`hostile: ${options.hostileSockets} half-open sockets from one address`);
    }
    const storm = figures(
      answers(await everyone({ type: 'drop', timeoutMs: bound }, bound + 60_000), 'back').map(
        (each) => each.back,
      ),
    );
    const cpu = nodes.cpuSeconds() - cpuBefore;
    const fleetSpent = fleetCpu() - fleetBefore;
    const kernelAfter = listenQueueCounters();
    const relayPeakRss = nodes.takePeakRss();
    const admissionRejections = (await nodes.counter(REJECTIONS)) - rejectionsBefore;
    const sourceCapRefusals = (await sourceCapCount()) - sourceCapBefore;
    const hostileFigures = hostile?.figures() ?? null;
    if (hostileFigures) progress(`hostile: ${JSON.stringify(hostileFigures)}`);
    progress(
      `storm: ${storm.back} back in ${storm.allBackSeconds ?? `— (${storm.missing} missing)`} s, p99 ${storm.p99Seconds} s`,
    );

    let watched: Extract<FromFleet, { type: 'watched' }>[] = [];
    if (options.echoSeconds > 0) {
      progress(`echo check: watching ${options.echoSeconds} s (token lifetime ${options.tokenSeconds} s)`);
      watched = answers(
        await everyone({ type: 'watch', seconds: options.echoSeconds }, (options.echoSeconds + 120) * 1000),
        'watched',
      );
    }
    const finished = answers(await everyone({ type: 'finish' }, 120_000), 'finished');
    const clientFailures = Object.fromEntries(FAILURE_KINDS.map((kind) => [kind, 0])) as Record<
      FailureKind,
      number
    >;
    for (const each of finished)
      for (const kind of FAILURE_KINDS) clientFailures[kind] += each.failures[kind];

    let echo: StormReport['echo'] = null;
    if (watched.length > 0) {
      const perSecond = new Array<number>(options.echoSeconds).fill(0);
      for (const each of watched)
        each.perSecond.forEach((count, second) => {
          perSecond[second]! += count;
        });
      let largestDrop = 0;
      for (let second = 0; second < perSecond.length; second++)
        largestDrop = Math.max(
          largestDrop,
          perSecond.slice(second, second + 5).reduce((a, b) => a + b, 0),
        );
      echo = {
        watchedSeconds: options.echoSeconds,
        tokenSeconds: options.tokenSeconds,
        largestDrop,
        largestDropFraction: Math.round((largestDrop / options.devices) * 10_000) / 10_000,
        closedAtExpiry: finished.reduce((sum, each) => sum + each.expiredCloses, 0),
        connectedAtEnd: watched.reduce((sum, each) => sum + each.connected, 0),
      };
    }
    return {
      devices: options.devices,
      nodes: options.nodes,
      store: options.store,
      workers: options.workers,
      firstConnect: first,
      storm,
      relayCpuMsPerDevice: Math.round((cpu * 1000 * 1000) / Math.max(1, storm.back)) / 1000,
      fleetCpuMsPerDevice: Math.round((fleetSpent * 1000 * 1000) / Math.max(1, storm.back)) / 1000,
      relayPeakRssMB: Math.round(relayPeakRss / 1024 / 1024),
      admissionRejections,
      clientFailures,
      listenOverflows: kernelAfter.overflows - kernelBefore.overflows,
      listenDrops: kernelAfter.drops - kernelBefore.drops,
      replacedConnections: finished.reduce((sum, each) => sum + each.replaced, 0),
      homes,
      sourceCapRefusals,
      hostile: hostileFigures,
      echo,
      seconds: Math.round(performance.now() - started) / 1000,
    };
  } finally {
    hostile?.close();
    for (const worker of fleet) worker.kill();
    await nodes.stop();
  }
}
