import { type ChildProcess, fork } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDrillRelay } from './relay-process.js';
import { type DrillOptions, type DrillReport, joinTallies } from './report.js';
import type { WorkerTally } from './tally.js';
import { type FromWorker, PHASES, type Phase, type PhaseResult, type ToWorker } from './worker-protocol.js';

const WORKER = join(fileURLToPath(new URL('.', import.meta.url)), 'worker.js');
const PHASE_TIMEOUT_MS = 30 * 60_000;

/** One worker process, asked one thing at a time. */
class Worker {
  private readonly waiting: ((message: FromWorker) => void)[] = [];
  private exited: string | null = null;
  private asked: Phase | 'setup' | 'report' = 'setup';

  constructor(readonly child: ChildProcess) {
    child.on('message', (message: FromWorker) => this.waiting.shift()?.(message));
    child.on('exit', (code, signal) => {
      this.exited = `drill worker exited (${signal ?? code})`;
      for (const waiter of this.waiting.splice(0))
        waiter({ type: 'failed', phase: this.asked, message: this.exited });
    });
  }

  ask(message: ToWorker): Promise<FromWorker> {
    if (this.exited) return Promise.reject(new Error(this.exited));
    this.asked = message.type === 'phase' ? message.phase : message.type;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('drill worker did not answer in time')),
        PHASE_TIMEOUT_MS,
      );
      this.waiting.push((answer) => {
        clearTimeout(timer);
        if (answer.type === 'failed')
          reject(new Error(`drill worker failed in ${answer.phase}: ${answer.message}`));
        else resolve(answer);
      });
      this.child.send(message);
    });
  }
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Runs the drill: a relay in its own process (fault seam on unless --fault none), N homes spread
 * over a few worker processes, the phases in order on every worker at once, then the join of what
 * the devices made (ground truth) with what the viewers were served and accepted.
 */
export async function runDrill(
  options: DrillOptions,
  progress: (line: string) => void = () => undefined,
): Promise<DrillReport> {
  const started = performance.now();
  const relay = await startDrillRelay(options);
  const workers: Worker[] = [];
  const phaseSeconds: Record<string, number> = {};
  try {
    const count = Math.max(1, Math.min(options.workers, options.devices));
    for (let w = 0; w < count; w++) {
      const from = Math.floor((options.devices * w) / count);
      const to = Math.floor((options.devices * (w + 1)) / count);
      const worker = new Worker(
        fork(WORKER, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
      );
      workers.push(worker);
      await worker.ask({
        type: 'setup',
        setup: {
          relayUrl: relay.url,
          from,
          to,
          viewersPerDevice: options.viewersPerDevice,
          plaintext: options.plaintextBaseline,
          stateRoot: join(options.stateRoot ?? tmpdir(), `sealcam-drill-${process.pid}-${w}`),
          concurrency: options.concurrency,
          liveWave: options.liveWave,
          eventsBefore: options.eventsBefore,
          eventsAfter: options.eventsAfter,
        },
      });
    }
    const results = new Map<Phase, PhaseResult[]>();
    for (const phase of PHASES) {
      const phaseStarted = performance.now();
      progress(`drill: ${phase}…`);
      const answers = await Promise.all(workers.map((worker) => worker.ask({ type: 'phase', phase })));
      results.set(
        phase,
        answers.map((answer) => (answer.type === 'done' ? answer.result : {})),
      );
      phaseSeconds[phase] = (performance.now() - phaseStarted) / 1000;
    }
    const online = results.get('online') ?? [];
    const reconnectMs = online.flatMap((result) => result.connectMs ?? []);
    const relayPeakRssMB = relay.peakRssMB();
    const relayFaultMisroutes = await relay.faultMisroutes();
    const tallies: WorkerTally[] = [];
    for (const worker of workers) {
      const answer = await worker.ask({ type: 'report' });
      if (answer.type === 'tally') tallies.push(answer.tally);
    }
    return joinTallies(options, tallies, {
      reconnectAllSeconds: Math.max(...online.map((result) => result.allConnectedMs ?? 0)) / 1000,
      reconnectP99Ms: percentile(reconnectMs, 99),
      reconnected: reconnectMs.length,
      relayPeakRssMB,
      relayFaultMisroutes,
      phaseSeconds,
      seconds: (performance.now() - started) / 1000,
    });
  } finally {
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    await relay.stop();
  }
}
