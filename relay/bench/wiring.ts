/**
 * The servers under test, each wired to the same 100 device and 100 viewer connections: a bare `ws`
 * forwarder (the baseline), the relay with either store, and two relays on one Redis with the
 * devices on one and the viewers on the other (cross-node: every frame crosses the Redis bus).
 * Servers run in their own processes.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Access,
  Codec,
  createIdentity,
  encodeLiveMessage,
  FrameSealer,
  type Identity,
  Role,
  sealManifest,
  WireType,
} from '@sealcam/protocol';
import {
  BEARER_SUBPROTOCOL_PREFIX,
  decodeRelayToViewer,
  deviceIdOf,
  encodeControl,
  LIVE_PATH,
  LIVE_SUBPROTOCOL,
  parseStreamId,
} from '@sealcam/protocol/relay-safe';
import { TestRedis } from '@sealcam/testkit/redis';
import WebSocket from 'ws';
import { LOOPBACK_FLEET_LIMITS, launchRelay } from '../src/launcher.js';
import { authenticate, registerViewers } from '../test/support/relay-client.js';

export const FRAME_BYTES = 16 * 1024;
/** Pre-sealed frames per device (the relay reads only the clear header, so they can repeat). */
export const POOL = 64;
const STREAM = parseStreamId('cam-1');

export type RelayWiring = 'memory' | 'redis' | 'cross-node';

export interface Wiring {
  readonly name: string;
  /** The server processes (two relays for cross-node). */
  readonly pids: readonly number[];
  /** redis-server's pid for the Redis-backed relay. */
  readonly extraPid?: number | undefined;
  readonly devices: WebSocket[];
  /** Device-major: the viewers of device i are viewers[i * viewersPerDevice ...]. */
  readonly viewers: WebSocket[];
  readonly viewersPerDevice: number;
  stop(): Promise<void>;
}

/** Extra node flags for the server processes: SEALCAM_BENCH_PROFILE=<dir> (CPU profile), SEALCAM_BENCH_NODE_ARGS. */
function benchNodeArgs(): string[] {
  const args = (process.env.SEALCAM_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  if (process.env.SEALCAM_BENCH_PROFILE)
    args.push('--cpu-prof', `--cpu-prof-dir=${process.env.SEALCAM_BENCH_PROFILE}`);
  return args;
}

/** Byte offset of the frame header inside what a viewer receives (the same for every server). */
export const HEADER_OFFSET = 1 + 16 + 1 + STREAM.length;

/** Frames per device, made once and sent to every server (all read the same wire format). */
export function framePools(ids: Identity[]): Uint8Array[][] {
  const payload = new Uint8Array(FRAME_BYTES).fill(0x5a);
  return ids.map((device) => {
    const sealer = new FrameSealer({
      deviceId: device.card.id,
      streamId: STREAM,
      epoch: 1,
      epochKey: new Uint8Array(32).fill(1),
    });
    return Array.from({ length: POOL }, (_, i) =>
      encodeLiveMessage({
        type: WireType.LiveFrame,
        deviceId: device.card.id,
        streamId: STREAM,
        payload: sealer.seal(payload, { keyframe: i % 30 === 0, codec: Codec.H264AnnexB }),
      }),
    );
  });
}

/** The live WebSocket of the relay, with the session token in the subprotocol list. */
function openLive(wsBase: string, token: string): Promise<WebSocket> {
  return open(`${wsBase}${LIVE_PATH}`, [LIVE_SUBPROTOCOL, `${BEARER_SUBPROTOCOL_PREFIX}${token}`]);
}

function open(url: string, protocols?: string[]): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

export async function wireForwarder(devices: Identity[], viewersPerDevice = 1): Promise<Wiring> {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const child = spawn(process.execPath, [...benchNodeArgs(), join(here, 'forwarder.js')], {
    stdio: ['ignore', process.env.SEALCAM_BENCH_NODE_ARGS ? 'inherit' : 'ignore', 'pipe'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`forwarder exited with ${code}`)));
    child.stderr.on('data', (data) => {
      const match = /listening on (\d+)/.exec(String(data));
      if (match) resolve(Number(match[1]));
    });
  });
  const base = `ws://127.0.0.1:${port}/`;
  const viewers = await Promise.all(
    devices.flatMap((_, i) =>
      Array.from({ length: viewersPerDevice }, () => open(`${base}?role=viewer&id=${i}`)),
    ),
  );
  const deviceSockets = await Promise.all(devices.map((_, i) => open(`${base}?role=device&id=${i}`)));
  return {
    name: 'bare ws forwarder',
    pids: [child.pid ?? 0],
    devices: deviceSockets,
    viewers,
    viewersPerDevice,
    async stop() {
      for (const ws of [...viewers, ...deviceSockets]) ws.terminate();
      child.kill('SIGTERM');
    },
  };
}

/** The relay as operators run it (its heap flags), limits raised so the load is not refused. */
function startRelay(store: 'memory' | 'redis', redis: TestRedis | null) {
  return launchRelay({
    env: {
      SEALCAM_STORE: store,
      ...(redis ? { SEALCAM_REDIS_URL: redis.url } : {}),
      SEALCAM_TOKEN_SECRET: 'ef'.repeat(32),
      // Connections stay open for the whole run, however many rounds it has.
      SEALCAM_TOKEN_TTL_SECONDS: '86400',
      SEALCAM_MAX_CONNECTIONS: '10000',
      SEALCAM_HANDSHAKE_RATE: '10000',
      SEALCAM_HANDSHAKE_BURST: '10000',
      SEALCAM_REQUESTS_PER_SECOND: '100000',
      SEALCAM_CHALLENGES_PER_SECOND_PER_SOURCE: '100000',
      ...LOOPBACK_FLEET_LIMITS,
      SEALCAM_WS_MESSAGES_PER_SECOND: '100000',
      ...(process.env.SEALCAM_VIEWER_QUEUE_BYTES
        ? { SEALCAM_VIEWER_QUEUE_BYTES: process.env.SEALCAM_VIEWER_QUEUE_BYTES }
        : {}),
      SEALCAM_LOG_LEVEL: 'warn',
    },
    nodeArgs: benchNodeArgs(),
    stdout: process.env.SEALCAM_BENCH_NODE_ARGS ? 'inherit' : 'collect',
  });
}

export async function wireRelay(
  devices: Identity[],
  wiring: RelayWiring,
  viewersPerDevice = 1,
): Promise<Wiring> {
  const redis = wiring === 'memory' ? null : await TestRedis.start();
  const store = redis ? 'redis' : 'memory';
  const relay = await startRelay(store, redis);
  // Cross-node: the viewers' relay, a second process on the same Redis (store and bus).
  const viewerRelay = wiring === 'cross-node' ? await startRelay(store, redis) : relay;
  const viewers: WebSocket[] = [];
  const deviceSockets: WebSocket[] = [];
  for (const device of devices) {
    const viewerIds = Array.from({ length: viewersPerDevice }, () => createIdentity(Role.Viewer));
    const deviceToken = await authenticate(relay.base, device);
    await registerViewers(
      relay.base,
      device,
      deviceToken,
      viewerIds.map((identity) => ({ identity, access: Access.Owner })),
    );
    const deviceSocket = await openLive(relay.wsBase, deviceToken);
    const manifest = sealManifest({
      device,
      streamId: STREAM,
      epoch: 1,
      notBefore: Date.now() - 1000,
      notAfter: Date.now() + 3_600_000,
      previous: null,
      recipients: viewerIds.map((viewer) => viewer.card),
      epochKey: new Uint8Array(32).fill(1),
    });
    deviceSocket.send(
      encodeLiveMessage({
        type: WireType.LiveManifest,
        deviceId: device.card.id,
        streamId: STREAM,
        payload: manifest.bytes,
      }),
    );
    for (const viewer of viewerIds) {
      const viewerToken = await authenticate(viewerRelay.base, viewer);
      const viewerSocket = await openLive(viewerRelay.wsBase, viewerToken);
      await subscribe(viewerSocket, device);
      viewers.push(viewerSocket);
    }
    deviceSockets.push(deviceSocket);
  }
  return {
    name: wiring === 'cross-node' ? 'two relays on one Redis (cross-node)' : `relay (${store} store)`,
    pids: viewerRelay === relay ? [relay.pid] : [relay.pid, viewerRelay.pid],
    extraPid: redis?.pid,
    devices: deviceSockets,
    viewers,
    viewersPerDevice,
    async stop() {
      for (const ws of [...viewers, ...deviceSockets]) ws.terminate();
      await relay.stop();
      if (viewerRelay !== relay) await viewerRelay.stop();
      await redis?.stop();
    },
  };
}

/** Subscribes a viewer's live socket to the device's stream and waits for `subscribed`. */
function subscribe(viewerSocket: WebSocket, device: Identity): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no "subscribed" within 10 s')), 10_000);
    const untilSubscribed = (data: WebSocket.RawData, isBinary: boolean) => {
      if (isBinary) return;
      let message: ReturnType<typeof decodeRelayToViewer>;
      try {
        message = decodeRelayToViewer(String(data));
      } catch (error) {
        clearTimeout(timer);
        return reject(error);
      }
      if (message.op === 'error') {
        clearTimeout(timer);
        return reject(new Error(`subscription refused: ${message.reason}`));
      }
      if (message.op !== 'subscribed') return;
      viewerSocket.off('message', untilSubscribed);
      clearTimeout(timer);
      resolve();
    };
    viewerSocket.on('message', untilSubscribed);
    viewerSocket.send(
      encodeControl({ op: 'subscribe', deviceId: deviceIdOf(device.card.id), streamId: STREAM }),
    );
  });
}
