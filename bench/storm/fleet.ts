import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FleetSetup, FromFleet, ToFleet } from './storm-protocol.js';

const WORKER = fileURLToPath(new URL('./storm-worker.js', import.meta.url));

/** One fleet worker process, asked one thing at a time (each answer within a bound). */
export class FleetWorker {
  private waiting: ((message: FromFleet) => void) | null = null;
  private exited: string | null = null;
  private readonly child: ChildProcess;

  constructor() {
    this.child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (message: FromFleet) => {
      const waiter = this.waiting;
      this.waiting = null;
      waiter?.(message);
    });
    this.child.on('exit', (code, signal) => {
      this.exited = `storm worker exited (${signal ?? code})`;
      this.waiting?.({ type: 'failed', message: this.exited });
      this.waiting = null;
    });
  }

  ask(message: ToFleet, timeoutMs: number): Promise<FromFleet> {
    if (this.exited) return Promise.reject(new Error(this.exited));
    if (this.waiting) return Promise.reject(new Error('storm worker asked twice at once'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        reject(new Error(`storm worker did not answer ${message.type} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting = (answer) => {
        clearTimeout(timer);
        if (answer.type === 'failed') reject(new Error(`storm worker failed: ${answer.message}`));
        else resolve(answer);
      };
      this.child.send(message);
    });
  }

  /** The worker's process id (its CPU is read from /proc). */
  get pid(): number {
    return this.child.pid ?? 0;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** Workers for devices [0, devices), split evenly (by whole homes when devices live in homes). */
export async function startFleet(
  devices: number,
  workers: number,
  relayUrls: readonly string[],
  devicesPerHome = 0,
): Promise<FleetWorker[]> {
  const fleet: FleetWorker[] = [];
  for (let w = 0; w < workers; w++) {
    const cut = (share: number) => {
      const at = Math.floor((devices * share) / workers);
      return devicesPerHome > 0 ? Math.min(devices, Math.ceil(at / devicesPerHome) * devicesPerHome) : at;
    };
    const setup: FleetSetup = { relayUrls, from: cut(w), to: cut(w + 1), devicesPerHome };
    const worker = new FleetWorker();
    fleet.push(worker);
    await worker.ask({ type: 'setup', setup }, 120_000);
  }
  return fleet;
}
