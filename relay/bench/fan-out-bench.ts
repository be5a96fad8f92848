/**
 * The fan-out curve (`npm run bench:relay -- --fan-out`): one device streaming at 30 fps to 1, 4,
 * 16 and 64 viewers, through the relay (memory store) and through the bare `ws` forwarder measured
 * in the same run. What it answers: what a lone, low-rate stream costs the relay per frame, where
 * the cost is a wake-up per frame rather than work per byte, and how the cost grows per viewer.
 * The two servers of one viewer count run side by side in alternating rounds; an idle phase (the
 * same connections, nothing sent) gives each process's floor, which is billed to no frame.
 */
import { createIdentity, Role } from '@sealcam/protocol';
import { FPS, type PhaseSample, runPhase, serversCpuMs, sleep } from './load.js';
import { FRAME_BYTES, framePools, type Wiring, wireForwarder, wireRelay } from './wiring.js';

export interface FanOutOptions {
  readonly viewerCounts: readonly number[];
  readonly rounds: number;
  readonly pacedMs: number;
  readonly log: (line: string) => void;
}

const WARMUP_MS = 1000;
const SERVER_WARMUP_MS = 3000;
const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
const round = (value: number, digits = 1) => Number(value.toFixed(digits));

interface Pooled {
  paced: PhaseSample[];
  idleCpuMs: number;
  idleSeconds: number;
}

async function idlePhase(wiring: Wiring, ms: number): Promise<{ cpuMs: number; seconds: number }> {
  const cpuStart = serversCpuMs(wiring);
  const start = performance.now();
  await sleep(ms);
  return { cpuMs: serversCpuMs(wiring) - cpuStart, seconds: (performance.now() - start) / 1000 };
}

function figures(pooled: Pooled, viewers: number) {
  const sent = sum(pooled.paced.map((sample) => sample.sent));
  const received = sum(pooled.paced.map((sample) => sample.received));
  const cpuMs = sum(pooled.paced.map((sample) => sample.serverCpuMs));
  const seconds = sum(pooled.paced.map((sample) => sample.seconds));
  const idleMsPerSecond = pooled.idleCpuMs / pooled.idleSeconds;
  return {
    /** Server CPU per frame the device published (all its viewers' copies together), µs. */
    cpuMicrosPerFrame: (cpuMs * 1000) / sent,
    /** The same, less the process's idle floor over the same seconds. */
    cpuMicrosPerFrameAboveIdle: ((cpuMs - idleMsPerSecond * seconds) * 1000) / sent,
    cpuMicrosPerDelivery: (cpuMs * 1000) / received,
    idleCpuMillisPerSecond: idleMsPerSecond,
    deliveredShare: received / (sent * viewers),
    lost: sum(pooled.paced.map((sample) => sample.lost)),
  };
}

export async function fanOutCurve(options: FanOutOptions) {
  const device = [createIdentity(Role.Device)];
  const frames = framePools(device);
  const points = [];
  for (const viewers of options.viewerCounts) {
    // The forwarder is stopped even when wiring the relay fails.
    const forwarder = await wireForwarder(device, viewers);
    const relay = await wireRelay(device, 'memory', viewers).catch(async (error: unknown) => {
      await forwarder.stop();
      throw error;
    });
    const wirings = { forwarder, relay };
    const pooled: Record<keyof typeof wirings, Pooled> = {
      forwarder: { paced: [], idleCpuMs: 0, idleSeconds: 0 },
      relay: { paced: [], idleCpuMs: 0, idleSeconds: 0 },
    };
    try {
      for (const wiring of Object.values(wirings))
        await runPhase(wiring, frames, 'paced', SERVER_WARMUP_MS, 1);
      for (let r = 0; r < options.rounds; r++) {
        const order = r % 2 === 0 ? (['forwarder', 'relay'] as const) : (['relay', 'forwarder'] as const);
        for (const name of order) {
          const sample = await runPhase(wirings[name], frames, 'paced', WARMUP_MS, options.pacedMs);
          pooled[name].paced.push(sample);
          const idle = await idlePhase(wirings[name], options.pacedMs / 2);
          pooled[name].idleCpuMs += idle.cpuMs;
          pooled[name].idleSeconds += idle.seconds;
          options.log(
            `${viewers} viewer(s), round ${r + 1}/${options.rounds}, ${wirings[name].name}: ${((sample.serverCpuMs * 1000) / sample.sent).toFixed(0)} µs per frame published`,
          );
        }
      }
    } finally {
      for (const wiring of Object.values(wirings)) await wiring.stop();
    }
    const relayFigures = figures(pooled.relay, viewers);
    const forwarderFigures = figures(pooled.forwarder, viewers);
    points.push({
      viewers,
      relayCpuMicrosPerFrame: round(relayFigures.cpuMicrosPerFrame),
      forwarderCpuMicrosPerFrame: round(forwarderFigures.cpuMicrosPerFrame),
      ratio: round(relayFigures.cpuMicrosPerFrame / forwarderFigures.cpuMicrosPerFrame, 2),
      relayCpuMicrosPerDelivery: round(relayFigures.cpuMicrosPerDelivery),
      forwarderCpuMicrosPerDelivery: round(forwarderFigures.cpuMicrosPerDelivery),
      relayCpuMicrosPerFrameAboveIdle: round(relayFigures.cpuMicrosPerFrameAboveIdle),
      forwarderCpuMicrosPerFrameAboveIdle: round(forwarderFigures.cpuMicrosPerFrameAboveIdle),
      relayIdleCpuMillisPerSecond: round(relayFigures.idleCpuMillisPerSecond, 2),
      forwarderIdleCpuMillisPerSecond: round(forwarderFigures.idleCpuMillisPerSecond, 2),
      relayDeliveredShare: round(relayFigures.deliveredShare, 4),
      framesLost: { relay: relayFigures.lost, forwarder: forwarderFigures.lost },
    });
  }
  const lone = points.find((point) => point.viewers === 1);
  return {
    benchmark: 'relay-fan-out',
    fps: FPS,
    frameBytes: FRAME_BYTES,
    rounds: options.rounds,
    points,
    loneStreamCpuMicrosPerFrame: lone?.relayCpuMicrosPerFrame ?? null,
    targets: { loneStreamCpuMicrosPerFrame: 50 },
    method: `one device at ${FPS} fps (${FRAME_BYTES}-byte sealed frames, a keyframe every 30) to N viewers over loopback, through the relay (memory store) and a bare ws forwarder, each in its own process; per N, ${options.rounds} alternating rounds of a ${options.pacedMs / 1000} s paced phase (after ${WARMUP_MS / 1000} s warm-up) and a ${options.pacedMs / 2000} s idle phase (nothing sent); server CPU (scheduler run time of every thread, /proc/<pid>/task/*/schedstat) over the paced phase ÷ frames the device sent ("per frame") or ÷ copies delivered ("per delivery"); "above idle" subtracts the process's idle CPU rate over the same seconds`,
  };
}
