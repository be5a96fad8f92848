/**
 * Relay benchmark: 100 publishing devices -> 100 viewers, 16 KB sealed frames, against a bare `ws`
 * forwarder measured in the same run. Phase 1 paces every device at 30 fps (server CPU per frame,
 * p50/p99 latency); phase 2 saturates (frames/s delivered). Servers run in their own processes;
 * the load runs here. Usage: npm run bench:relay [-- --json] [-- --seconds N]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Access,
  Codec,
  createIdentity,
  encodeLiveMessage,
  FrameSealer,
  formatId,
  type Identity,
  Role,
  ready,
  sealManifest,
  WireType,
} from '@sealcam/protocol';
import WebSocket from 'ws';
import { TestRedis } from '../test/support/redis-server.js';
import { startChildRelay } from '../test/support/relay-child.js';
import { authenticate, registerViewers } from '../test/support/relay-client.js';

await ready();
const json = process.argv.includes('--json');
const secondsArg = process.argv.indexOf('--seconds');
const PHASE_MS = (secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 5) * 1000;
const WARMUP_MS = 1000;
const DEVICES = 100;
const FPS = 30;
const FRAME_BYTES = 16 * 1024;
const POOL = 64;
const here = fileURLToPath(new URL('.', import.meta.url));

/** Extra node flags for the server processes: SEALCAM_BENCH_PROFILE=<dir> (CPU profile), SEALCAM_BENCH_NODE_ARGS. */
function benchNodeArgs(): string[] {
  const args = (process.env.SEALCAM_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  if (process.env.SEALCAM_BENCH_PROFILE)
    args.push('--cpu-prof', `--cpu-prof-dir=${process.env.SEALCAM_BENCH_PROFILE}`);
  return args;
}
const log = (text: string) => {
  if (!json) process.stderr.write(`${text}\n`);
};

/** utime + stime of a process in milliseconds, from /proc (Linux). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Wiring {
  readonly pid: number;
  readonly extraPid?: number | undefined;
  readonly devices: WebSocket[];
  readonly viewers: WebSocket[];
  /** Byte offset of the frame header inside what a viewer receives. */
  readonly headerOffset: number;
  readonly frames: Uint8Array[][];
  stop(): Promise<void>;
}

interface PhaseResult {
  readonly framesPerSec: number;
  readonly sentPerSec: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly cpuMicrosPerFrame: number;
  readonly extraCpuMicrosPerFrame: number;
  /** Share of one core the server used during the phase. */
  readonly serverCoreShare: number;
}

/** Pre-sealed frames per device (the relay reads only the clear header, so they can repeat). */
function framePools(ids: Identity[]): Uint8Array[][] {
  const payload = new Uint8Array(FRAME_BYTES).fill(0x5a);
  return ids.map((device) => {
    const manifestKey = new Uint8Array(32).fill(1);
    const sealer = new FrameSealer({
      deviceId: device.card.id,
      streamId: 'cam-1',
      epoch: 1,
      epochKey: manifestKey,
    });
    return Array.from({ length: POOL }, (_, i) =>
      encodeLiveMessage({
        type: WireType.LiveFrame,
        deviceId: device.card.id,
        streamId: 'cam-1',
        payload: sealer.seal(payload, { keyframe: i % 30 === 0, codec: Codec.H264AnnexB }),
      }),
    );
  });
}

function open(url: string, protocols?: string[]): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

async function wireForwarder(devices: Identity[]): Promise<Wiring> {
  const child = spawn(process.execPath, [...benchNodeArgs(), join(here, 'forwarder.js')], {
    stdio: ['ignore', process.env.SEALCAM_BENCH_NODE_ARGS ? 'inherit' : 'ignore', 'pipe'],
  });
  const port = await new Promise<number>((resolve) => {
    child.stderr.on('data', (data) => {
      const match = /listening on (\d+)/.exec(String(data));
      if (match) resolve(Number(match[1]));
    });
  });
  const base = `ws://127.0.0.1:${port}/`;
  const viewers = await Promise.all(devices.map((_, i) => open(`${base}?role=viewer&id=${i}`)));
  const deviceSockets = await Promise.all(devices.map((_, i) => open(`${base}?role=device&id=${i}`)));
  return {
    pid: child.pid ?? 0,
    devices: deviceSockets,
    viewers,
    headerOffset: 1 + 16 + 1 + 'cam-1'.length,
    frames: framePools(devices),
    async stop() {
      for (const ws of [...viewers, ...deviceSockets]) ws.terminate();
      child.kill('SIGTERM');
    },
  };
}

async function wireRelay(devices: Identity[], store: 'memory' | 'redis'): Promise<Wiring> {
  const redis = store === 'redis' ? await TestRedis.start() : null;
  const relay = await startChildRelay(
    {
      SEALCAM_STORE: store,
      ...(redis ? { SEALCAM_REDIS_URL: redis.url } : {}),
      SEALCAM_TOKEN_SECRET: 'ef'.repeat(32),
      SEALCAM_MAX_CONNECTIONS: '10000',
      SEALCAM_HANDSHAKE_RATE: '10000',
      SEALCAM_HANDSHAKE_BURST: '10000',
      SEALCAM_REQUESTS_PER_SECOND: '100000',
      SEALCAM_CHALLENGES_PER_SECOND_PER_SOURCE: '100000',
      SEALCAM_WS_MESSAGES_PER_SECOND: '100000',
      ...(process.env.SEALCAM_VIEWER_QUEUE_BYTES
        ? { SEALCAM_VIEWER_QUEUE_BYTES: process.env.SEALCAM_VIEWER_QUEUE_BYTES }
        : {}),
      SEALCAM_LOG_LEVEL: 'warn',
    },
    benchNodeArgs(),
  );
  const viewerIdentities = devices.map(() => createIdentity(Role.Viewer));
  const viewers: WebSocket[] = [];
  const deviceSockets: WebSocket[] = [];
  for (const [i, device] of devices.entries()) {
    const deviceToken = await authenticate(relay.base, device);
    const viewer = viewerIdentities[i]!;
    await registerViewers(relay.base, device, deviceToken, [{ identity: viewer, access: Access.Owner }]);
    const viewerToken = await authenticate(relay.base, viewer);
    const deviceSocket = await open(`${relay.wsBase}/v1/live`, ['sealcam.v1', `bearer.${deviceToken}`]);
    const manifest = sealManifest({
      device,
      streamId: 'cam-1',
      epoch: 1,
      notBefore: Date.now() - 1000,
      notAfter: Date.now() + 3_600_000,
      previous: null,
      recipients: [viewer.card],
      epochKey: new Uint8Array(32).fill(1),
    });
    deviceSocket.send(
      encodeLiveMessage({
        type: WireType.LiveManifest,
        deviceId: device.card.id,
        streamId: 'cam-1',
        payload: manifest.bytes,
      }),
    );
    const viewerSocket = await open(`${relay.wsBase}/v1/live`, ['sealcam.v1', `bearer.${viewerToken}`]);
    await new Promise<void>((resolve) => {
      viewerSocket.on('message', (data, isBinary) => {
        if (!isBinary && String(data).includes('"subscribed"')) resolve();
      });
      viewerSocket.send(
        JSON.stringify({ op: 'subscribe', deviceId: formatId(device.card.id), streamId: 'cam-1' }),
      );
    });
    viewers.push(viewerSocket);
    deviceSockets.push(deviceSocket);
  }
  return {
    pid: relay.pid,
    extraPid: redis?.pid,
    devices: deviceSockets,
    viewers,
    headerOffset: 1 + 16 + 1 + 'cam-1'.length,
    frames: framePools(devices),
    async stop() {
      for (const ws of [...viewers, ...deviceSockets]) ws.terminate();
      await relay.stop();
      await redis?.stop();
    },
  };
}

/** Runs one phase: paced (30 fps per device) or saturated (as fast as the sockets drain). */
async function phase(wiring: Wiring, mode: 'paced' | 'saturate'): Promise<PhaseResult> {
  const sentAt: number[][] = wiring.devices.map(() => new Array<number>(POOL).fill(0));
  const latencies: number[] = [];
  let received = 0;
  let sent = 0;
  let measuring = false;
  const start = performance.now();
  const listeners = wiring.viewers.map((ws, device) => {
    const listener = (data: Buffer) => {
      if (!measuring) return;
      received += 1;
      const offset = wiring.headerOffset;
      const counter =
        ((data[offset + 4]! << 24) |
          (data[offset + 5]! << 16) |
          (data[offset + 6]! << 8) |
          data[offset + 7]!) >>>
        0;
      const at = sentAt[device]![counter % POOL]!;
      if (at > 0 && mode === 'paced') latencies.push(performance.now() - at);
    };
    ws.on('message', listener);
    return listener;
  });
  const next = wiring.devices.map(() => 0);
  const sendOne = (device: number) => {
    const index = next[device]! % POOL;
    next[device] = next[device]! + 1;
    sentAt[device]![index] = performance.now();
    wiring.devices[device]!.send(wiring.frames[device]![index]!);
    if (measuring) sent += 1;
  };
  let cpuStart = 0;
  let extraStart = 0;
  let measureStart = 0;
  const end = start + WARMUP_MS + PHASE_MS;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      if (!measuring && now - start >= WARMUP_MS) {
        measuring = true;
        measureStart = now;
        cpuStart = cpuMs(wiring.pid);
        extraStart = wiring.extraPid ? cpuMs(wiring.extraPid) : 0;
      }
      if (now >= end) return resolve();
      if (mode === 'paced') {
        const due = Math.floor(((now - start) / 1000) * FPS);
        for (let device = 0; device < wiring.devices.length; device++) {
          while (next[device]! < due) sendOne(device);
        }
        setTimeout(tick, 5);
      } else {
        for (let device = 0; device < wiring.devices.length; device++) {
          for (let burst = 0; burst < 4 && wiring.devices[device]!.bufferedAmount < 512 * 1024; burst++)
            sendOne(device);
        }
        setImmediate(tick);
      }
    };
    tick();
  });
  const seconds = (performance.now() - measureStart) / 1000;
  const cpu = cpuMs(wiring.pid) - cpuStart;
  const extra = wiring.extraPid ? cpuMs(wiring.extraPid) - extraStart : 0;
  measuring = false;
  for (const [i, ws] of wiring.viewers.entries()) ws.off('message', listeners[i]!);
  await new Promise((resolve) => setTimeout(resolve, 500));
  return {
    framesPerSec: received / seconds,
    sentPerSec: sent / seconds,
    latencyP50Ms: percentile(latencies, 50),
    latencyP99Ms: percentile(latencies, 99),
    cpuMicrosPerFrame: (cpu * 1000) / Math.max(1, received),
    serverCoreShare: cpu / 1000 / seconds,
    extraCpuMicrosPerFrame: (extra * 1000) / Math.max(1, received),
  };
}

async function measure(name: string, wire: () => Promise<Wiring>) {
  log(`${name}: connecting ${DEVICES} devices and ${DEVICES} viewers`);
  const wiring = await wire();
  try {
    const paced = await phase(wiring, 'paced');
    log(
      `${name}: paced ${paced.framesPerSec.toFixed(0)} frames/s, p50 ${paced.latencyP50Ms.toFixed(2)} ms, p99 ${paced.latencyP99Ms.toFixed(2)} ms, ${paced.cpuMicrosPerFrame.toFixed(1)} µs CPU/frame`,
    );
    const saturated = await phase(wiring, 'saturate');
    log(
      `${name}: saturated ${saturated.framesPerSec.toFixed(0)} frames/s delivered of ${saturated.sentPerSec.toFixed(0)} sent, server at ${(saturated.serverCoreShare * 100).toFixed(0)}% of a core`,
    );
    return { paced, saturated };
  } finally {
    await wiring.stop();
  }
}

const devices = Array.from({ length: DEVICES }, () => createIdentity(Role.Device));
const baseline = await measure('bare ws forwarder', () => wireForwarder(devices));
const memory = await measure('relay (memory store)', () => wireRelay(devices, 'memory'));
const redis = await measure('relay (redis store)', () => wireRelay(devices, 'redis'));

const round = (value: number, digits = 2) => Number(value.toFixed(digits));
const result = {
  benchmark: 'relay',
  machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
  devices: DEVICES,
  viewers: DEVICES,
  frameBytes: FRAME_BYTES,
  pacedFps: FPS,
  baselineFramesPerSec: round(baseline.saturated.framesPerSec, 0),
  relayMemoryFramesPerSec: round(memory.saturated.framesPerSec, 0),
  relayRedisFramesPerSec: round(redis.saturated.framesPerSec, 0),
  ratioMemory: round(memory.saturated.framesPerSec / baseline.saturated.framesPerSec, 3),
  ratioRedis: round(redis.saturated.framesPerSec / baseline.saturated.framesPerSec, 3),
  pacedFramesPerSec: {
    baseline: round(baseline.paced.framesPerSec, 0),
    memory: round(memory.paced.framesPerSec, 0),
    redis: round(redis.paced.framesPerSec, 0),
  },
  latencyP50Ms: {
    baseline: round(baseline.paced.latencyP50Ms),
    memory: round(memory.paced.latencyP50Ms),
    redis: round(redis.paced.latencyP50Ms),
  },
  latencyP99Ms: {
    baseline: round(baseline.paced.latencyP99Ms),
    memory: round(memory.paced.latencyP99Ms),
    redis: round(redis.paced.latencyP99Ms),
  },
  addedLatencyP50Ms: round(memory.paced.latencyP50Ms - baseline.paced.latencyP50Ms),
  addedLatencyP99Ms: round(memory.paced.latencyP99Ms - baseline.paced.latencyP99Ms),
  addedLatencyP99MsRedis: round(redis.paced.latencyP99Ms - baseline.paced.latencyP99Ms),
  cpuMicrosPerFrame: round(memory.paced.cpuMicrosPerFrame, 1),
  cpuMicrosPerFrameRedis: round(redis.paced.cpuMicrosPerFrame, 1),
  redisServerCpuMicrosPerFrame: round(redis.paced.extraCpuMicrosPerFrame, 1),
  baselineCpuMicrosPerFrame: round(baseline.paced.cpuMicrosPerFrame, 1),
  cpuRatioMemory: round(memory.paced.cpuMicrosPerFrame / baseline.paced.cpuMicrosPerFrame, 2),
  targets: { ratioMemory: 0.9, ratioRedis: 0.85 },
  method: `${DEVICES} devices -> ${DEVICES} viewers (one each) over loopback, ${FRAME_BYTES}-byte sealed frames, a keyframe every 30 frames; each phase ${PHASE_MS / 1000} s after ${WARMUP_MS / 1000} s warm-up; server CPU from /proc (utime+stime) divided by frames delivered; latency = receive time - send time in the load process; the load generator shares the 2-core machine with the server`,
};

if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
else {
  console.log(`\nrelay benchmark — ${result.machine.cores} cores, Node ${result.machine.node}`);
  console.log(
    '                      | saturated frames/s | ratio | paced p50 ms | paced p99 ms | server CPU µs/frame',
  );
  const row = (name: string, r: { paced: PhaseResult; saturated: PhaseResult }, ratio: string) =>
    console.log(
      `${name.padEnd(22)}| ${r.saturated.framesPerSec.toFixed(0).padStart(18)} | ${ratio.padStart(5)} | ${r.paced.latencyP50Ms.toFixed(2).padStart(12)} | ${r.paced.latencyP99Ms.toFixed(2).padStart(12)} | ${r.paced.cpuMicrosPerFrame.toFixed(1).padStart(19)}`,
    );
  row('bare ws forwarder', baseline, '1.00');
  row('relay, memory store', memory, result.ratioMemory.toFixed(2));
  row('relay, redis store', redis, result.ratioRedis.toFixed(2));
  console.log(
    `added latency (memory): p50 ${result.addedLatencyP50Ms} ms, p99 ${result.addedLatencyP99Ms} ms; redis-server CPU ${result.redisServerCpuMicrosPerFrame} µs/frame`,
  );
  console.log(`targets: ratioMemory >= 0.90, ratioRedis >= 0.85\nmethod: ${result.method}`);
}
