import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryKeyStore, Viewer } from '@sealcam/client';
import { nodeWebSocket } from '@sealcam/client/node';
import { LOOPBACK_FLEET_LIMITS, launchRelay } from '@sealcam/relay/launcher';
import { agentDir, startCli } from '@sealcam/testkit/agent';
import { launchBrowser } from './browser.js';
import type { CameraCounters, CameraServer } from './camera-server.js';
import type { MediaMode } from './capability.js';
import { pair, START_TIMEOUT_MS, stopAgent, webRoot } from './harness.js';
import { CLOCK_LAYOUT, installPageClock, type PageClockReport } from './page-clock.js';
import { clockTicks, treeTicks } from './process-cpu.js';
import { relayFrameCounters } from './relay-metrics.js';
import { quantile, round, sleep } from './stats.js';

/** A relay's demand lease (relay/src/live/demand.ts) plus margin: after it, nobody watches. */
const LEASE_EXPIRY_MS = 35_000;

export interface ModeOptions {
  readonly mode: MediaMode;
  readonly cameraFields: Record<string, unknown>;
  readonly camera: CameraServer;
  readonly fps: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly idleSeconds: number;
  readonly log: (line: string) => void;
}

export interface ModeResult {
  readonly mode: MediaMode;
  readonly windowSeconds: number;
  readonly cameraMbps: number | null;
  readonly cameraFps: number | null;
  /** Mean delay inside the camera (clock drawn → encoder out): part of glassToGlassMs, not sealcam's. */
  readonly cameraEncodeLagMs: number | null;
  readonly cameraBytes: { readonly video: number; readonly audio: number };
  readonly agentLiveBytes: number;
  readonly agentLiveFrames: number;
  readonly wireBytesRatio: number | null;
  readonly agentCpuPercentPerCamera: number | null;
  /**
   * The same CPU time split: the agent's node process, and its children (`ffmpegPercent`, the name
   * kept for comparisons with earlier runs: its RTSP client, gst-launch-1.0 in mode passthrough-gst).
   */
  readonly agentCpuSplit: { readonly nodePercent: number | null; readonly ffmpegPercent: number | null };
  readonly camerasPerGatewayCore: number | null;
  readonly glassToGlassMs: {
    readonly p50: number | null;
    readonly p99: number | null;
    readonly samples: number;
    readonly unreadable: number;
    readonly element: PageClockReport['element'];
  };
  readonly idle: { readonly seconds: number; readonly agentBytes: number; readonly cameraBytes: number };
  readonly idleUploadRatio: number | null;
  readonly clip: {
    readonly events: number;
    readonly bytes: number;
    readonly seconds: number;
    readonly types: string[];
    readonly reason: string | null;
  };
  readonly clipBytesRatio: number | null;
}

const cameraBytes = (a: CameraCounters, b: CameraCounters) =>
  b.videoBytes - a.videoBytes + (b.audioBytes - a.audioBytes);

/** Every started mode's clean-ups, so that a signal or the time budget can stop everything at once. */
const running = new Set<(() => Promise<unknown>)[]>();

async function cleanUp(cleanups: (() => Promise<unknown>)[]): Promise<void> {
  running.delete(cleanups);
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
}

/** Stops the relay, agent and browser of every mode still running (signals, the time budget). */
export async function stopAllModes(): Promise<void> {
  await Promise.all([...running].map(cleanUp));
}

/** One mode: relay + agent (one RTSP camera in that mode) + Chromium, measured over fixed windows. */
export async function runMode(options: ModeOptions): Promise<ModeResult> {
  const { log } = options;
  const cleanups: (() => Promise<unknown>)[] = [];
  running.add(cleanups);
  try {
    const relay = await launchRelay({
      env: {
        SEALCAM_HOST: '127.0.0.1',
        SEALCAM_WEB_ROOT: webRoot(),
        SEALCAM_CHALLENGES_PER_SECOND_PER_SOURCE: '1000',
        // MJPEG clips are ~20 MB per event: the default quota (16 MiB per device) refuses them.
        SEALCAM_STORE_MAX_BYTES: String(2 * 1024 ** 3),
        SEALCAM_DEVICE_QUOTA_BYTES: String(1024 ** 3),
        ...LOOPBACK_FLEET_LIMITS,
      },
    });
    cleanups.push(() => relay.kill());
    const dir = agentDir(relay.base, {
      cameras: [
        { id: 'cam-1', source: 'rtsp', url: options.camera.url, fps: options.fps, ...options.cameraFields },
      ],
    });
    cleanups.push(async () => rmSync(dir.stateDir, { recursive: true, force: true }));
    const init = dir.cli(['init']);
    if (init.status !== 0) throw new Error(`agent init failed: ${init.stderr}`);

    // A Node viewer (for the clips at the end) and the browser, both paired before the agent runs.
    const viewer = await Viewer.open({ store: new MemoryKeyStore(), WebSocket: nodeWebSocket });
    cleanups.push(async () => viewer.close());
    let deviceId = '';
    await pair(dir, async (code) => {
      deviceId = (await viewer.pair(code, { name: 'bench viewer' })).deviceId;
    });
    const browser = await launchBrowser();
    cleanups.push(() => browser.close());
    const page = await browser.context.newPage();
    await pair(dir, async (_code, link) => {
      await page.goto(link);
      await page.locator('[data-testid="safety-number"]').first().waitFor({ timeout: START_TIMEOUT_MS });
    });
    // After pairing the app shows the safety number on its own screen: confirmed, then the Live page.
    await page.locator('[data-testid="safety-match"]').click({ timeout: START_TIMEOUT_MS });
    await page
      .getByRole('navigation', { name: 'Pages' })
      .getByRole('link', { name: 'Live', exact: true })
      .click();

    log(`${options.mode}: starting the agent`);
    const run = startCli(dir, ['run']);
    cleanups.push(() => stopAgent(run));
    await run.waitFor(/agent running/, START_TIMEOUT_MS);
    const agentPid = run.child.pid ?? 0;
    await page
      .locator(
        '#live-grid [data-testid="camera-tile"] canvas:is([data-testid="live-canvas"], [data-testid="live-image"]:not([data-frames="0"]))',
      )
      .first()
      .waitFor({ state: 'attached', timeout: START_TIMEOUT_MS });
    // A tile out of view is decoded once a second (client/web/src/live-tile.ts): watch it, as a user would.
    await page.locator('#live-grid [data-testid="camera-tile"]').first().scrollIntoViewIfNeeded();
    await page.evaluate(installPageClock, CLOCK_LAYOUT);
    log(`${options.mode}: live on the page; warming up ${options.warmupSeconds} s`);
    await sleep(options.warmupSeconds * 1000);

    const ticksPerSecond = clockTicks();
    await page.evaluate(() => window.__sealcamClock?.reset());
    const camera0 = await options.camera.counters();
    const relay0 = await relayFrameCounters(relay.adminBase);
    const cpu0 = treeTicks(agentPid);
    const start = performance.now();
    log(`${options.mode}: measuring for ${options.seconds} s with the page watching`);
    await sleep(options.seconds * 1000);
    const cpu1 = treeTicks(agentPid);
    const elapsed = (performance.now() - start) / 1000;
    const relay1 = await relayFrameCounters(relay.adminBase);
    const camera1 = await options.camera.counters();
    const clock = (await page.evaluate(() => window.__sealcamClock?.report())) ?? {
      latencies: [],
      unreadable: 0,
      element: 'none' as const,
    };

    const screenshot = join(tmpdir(), `sealcam-bench-media-${options.mode}.png`);
    await page.screenshot({ path: screenshot });
    log(`${options.mode}: the page at the end of the window: ${screenshot}`);
    await page.close();
    log(`${options.mode}: page closed; waiting ${LEASE_EXPIRY_MS / 1000} s for the demand lease to lapse`);
    await sleep(LEASE_EXPIRY_MS);
    const idleCamera0 = await options.camera.counters();
    const idleRelay0 = await relayFrameCounters(relay.adminBase);
    const idleStart = performance.now();
    log(`${options.mode}: measuring ${options.idleSeconds} s with nobody watching`);
    await sleep(options.idleSeconds * 1000);
    const idleRelay1 = await relayFrameCounters(relay.adminBase);
    const idleCamera1 = await options.camera.counters();
    const idleElapsed = (performance.now() - idleStart) / 1000;

    const windowCamera = cameraBytes(camera0, camera1);
    const agentLiveBytes = relay1.frameBytes - relay0.frameBytes;
    const percent = (ticks: number) => (ticks / ticksPerSecond / elapsed) * 100;
    const agentPercent = percent(cpu1.root - cpu0.root);
    const ffmpegPercent = percent(cpu1.descendants - cpu0.descendants);
    const cpuPercent = agentPercent + ffmpegPercent;
    const idleCamera = cameraBytes(idleCamera0, idleCamera1);
    const idleAgent = idleRelay1.frameBytes - idleRelay0.frameBytes;
    const cameraBytesPerSecond = windowCamera / elapsed;
    const clip = await clipTotals(viewer, deviceId, options.fps);
    const agentLog = join(tmpdir(), `sealcam-bench-media-${options.mode}-agent.log`);
    writeFileSync(agentLog, [...run.stdout, ...run.stderr].join(''));
    log(`${options.mode}: the agent's output: ${agentLog}`);
    const clipCameraBytes = cameraBytesPerSecond * clip.seconds;

    return {
      mode: options.mode,
      windowSeconds: round(elapsed, 1)!,
      cameraMbps: round((windowCamera * 8) / elapsed / 1e6),
      cameraFps: round((camera1.videoFrames - camera0.videoFrames) / elapsed, 2),
      cameraEncodeLagMs: round(
        (camera1.encodeLagMsSum - camera0.encodeLagMsSum) /
          (camera1.encodeLagFrames - camera0.encodeLagFrames),
        1,
      ),
      cameraBytes: {
        video: camera1.videoBytes - camera0.videoBytes,
        audio: camera1.audioBytes - camera0.audioBytes,
      },
      agentLiveBytes,
      agentLiveFrames: relay1.frames - relay0.frames,
      wireBytesRatio: windowCamera > 0 ? round(agentLiveBytes / windowCamera) : null,
      agentCpuPercentPerCamera: round(cpuPercent, 1),
      agentCpuSplit: { nodePercent: round(agentPercent, 2), ffmpegPercent: round(ffmpegPercent, 2) },
      camerasPerGatewayCore: cpuPercent > 0 ? round(100 / cpuPercent, 2) : null,
      glassToGlassMs: {
        p50: quantile(clock.latencies, 0.5),
        p99: quantile(clock.latencies, 0.99),
        samples: clock.latencies.length,
        unreadable: clock.unreadable,
        element: clock.element,
      },
      idle: { seconds: round(idleElapsed, 1)!, agentBytes: idleAgent, cameraBytes: idleCamera },
      idleUploadRatio: idleCamera > 0 ? round(idleAgent / idleCamera, 4) : null,
      clip,
      clipBytesRatio: clip.seconds > 0 && clipCameraBytes > 0 ? round(clip.bytes / clipCameraBytes) : null,
    };
  } finally {
    await cleanUp(cleanups);
  }
}

/** Every stored event's clip: its bytes and its seconds (frames ÷ camera fps), from the signed records. */
async function clipTotals(viewer: Viewer, deviceId: string, fps: number): Promise<ModeResult['clip']> {
  const listing = await viewer.events(deviceId as never, { limit: 100 });
  let bytes = 0;
  let frames = 0;
  let events = 0;
  const types = new Set<string>();
  for (const { eventId } of listing.events) {
    const { record } = await viewer.openEvent(deviceId as never, eventId);
    if (!record.clip || record.clip.frames === 0) continue;
    events += 1;
    bytes += record.clip.bytes;
    frames += record.clip.frames;
    types.add(record.clip.type);
  }
  return {
    events,
    bytes,
    seconds: round(frames / fps, 2)!,
    types: [...types],
    reason: events === 0 ? 'no motion event with a clip was stored during the run' : null,
  };
}
