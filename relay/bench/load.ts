/**
 * One measured phase against one wiring, run from this (the load) process: paced (every device at
 * 30 fps) or saturated (closed loop, as fast as frames come back). Returns raw sums so that rounds
 * can be pooled.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { HEADER_OFFSET, POOL, type Wiring } from './wiring.js';

export const FPS = 30;
/** Frames a device has in flight (sent, not yet received by its viewer) at saturation. */
export const SATURATION_WINDOW = 8;

export interface PhaseSample {
  readonly seconds: number;
  /** Frames received by viewers (each viewer's copy counts). */
  readonly received: number;
  /** Frames sent to the devices during the measured time. */
  readonly sent: number;
  /** Frames sent during the whole phase that never reached a viewer of their device (per viewer). */
  readonly lost: number;
  /** Every server process of the wiring (both relays for cross-node). */
  readonly serverCpuMs: number;
  readonly redisCpuMs: number;
  readonly loadCpuMs: number;
  /** Paced only: receive time - send time, ms. */
  readonly latencies: number[];
}

/**
 * CPU time of a process in milliseconds: the run time the scheduler accounted to each of its threads
 * (/proc/<pid>/task/<tid>/schedstat, nanoseconds). Not utime + stime: those are sampled at the
 * scheduler tick (10 ms), and a process that wakes for 50 µs in step with the tick is charged whole
 * ticks, which at low frame rates made every server look several times dearer than it is.
 */
function cpuMs(pid: number): number {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return ns / 1e6;
}

export const serversCpuMs = (wiring: Wiring) => wiring.pids.reduce((total, pid) => total + cpuMs(pid), 0);

const DRAIN_MS = 2000;
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runPhase(
  wiring: Wiring,
  frames: Uint8Array[][],
  mode: 'paced' | 'saturate',
  warmupMs: number,
  measureMs: number,
): Promise<PhaseSample> {
  const sentAt: number[][] = wiring.devices.map(() => new Array<number>(POOL).fill(0));
  const latencies: number[] = [];
  const next = wiring.devices.map(() => 0);
  let running = true;
  let measuring = false;
  let received = 0;
  let sent = 0;
  let receivedAll = 0;
  let sentAll = 0;
  const perDevice = wiring.viewersPerDevice;
  const sendOne = (device: number) => {
    const index = next[device]! % POOL;
    next[device] = next[device]! + 1;
    sentAt[device]![index] = performance.now();
    wiring.devices[device]!.send(frames[device]![index]!);
    sentAll += 1;
    if (measuring) sent += 1;
  };
  const listeners = wiring.viewers.map((ws, viewer) => {
    const device = Math.floor(viewer / perDevice);
    const listener = (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return;
      receivedAll += 1;
      // At saturation every frame received (by a device's first viewer) makes room for its next one.
      if (mode === 'saturate' && running && viewer % perDevice === 0) sendOne(device);
      if (!measuring) return;
      received += 1;
      if (mode !== 'paced') return;
      const offset = HEADER_OFFSET;
      const counter =
        ((data[offset + 4]! << 24) |
          (data[offset + 5]! << 16) |
          (data[offset + 6]! << 8) |
          data[offset + 7]!) >>>
        0;
      const at = sentAt[device]![counter % POOL]!;
      if (at > 0) latencies.push(performance.now() - at);
    };
    ws.on('message', listener);
    return listener;
  });

  const start = performance.now();
  if (mode === 'paced') {
    const tick = () => {
      if (!running) return;
      const due = Math.floor(((performance.now() - start) / 1000) * FPS);
      for (let device = 0; device < wiring.devices.length; device++) {
        while (next[device]! < due) sendOne(device);
      }
      setTimeout(tick, 5);
    };
    tick();
  } else {
    // Closed loop: nothing polls (a polling sender takes CPU from the server on a 2-core machine,
    // the more so the slower the server), nothing queues without bound in the server, and the
    // window stays below the relay's per-viewer queue, so the relay has no reason to drop a frame.
    for (let device = 0; device < wiring.devices.length; device++)
      for (let i = 0; i < SATURATION_WINDOW; i++) sendOne(device);
  }

  await sleep(warmupMs);
  const serverStart = serversCpuMs(wiring);
  const redisStart = wiring.extraPid ? cpuMs(wiring.extraPid) : 0;
  const loadStart = process.cpuUsage();
  const measureStart = performance.now();
  measuring = true;
  await sleep(measureMs);
  measuring = false;
  const seconds = (performance.now() - measureStart) / 1000;
  const load = process.cpuUsage(loadStart);
  const serverCpuMs = serversCpuMs(wiring) - serverStart;
  const redisCpuMs = wiring.extraPid ? cpuMs(wiring.extraPid) - redisStart : 0;
  running = false;
  // Let what is in flight arrive (bounded), so the next phase starts on idle sockets and a frame
  // that never arrives is counted as lost.
  for (let waited = 0; waited < DRAIN_MS && receivedAll < sentAll * perDevice; waited += 20) await sleep(20);
  for (const [i, ws] of wiring.viewers.entries()) ws.off('message', listeners[i]!);
  return {
    seconds,
    received,
    sent,
    lost: sentAll * perDevice - receivedAll,
    serverCpuMs,
    redisCpuMs,
    loadCpuMs: (load.user + load.system) / 1000,
    latencies,
  };
}
