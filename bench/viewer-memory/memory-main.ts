/**
 * `npm run bench:web-memory`: the web viewer's renderer memory after it has watched 4 live H.264
 * cameras for 10 minutes while they recorded 200 events (issue #18: ≤ 250 MB), next to the same
 * app with no camera measured in the same run (a second Chromium). A relay, a device agent with 4
 * synthetic cameras and two Chromiums, all on loopback. The page sits on the live grid, and once a
 * minute opens Events (thumbnails load) and goes back, as a user would. See bench/README.md.
 * Usage: npm run bench:web-memory -- [--json] [--minutes N] [--events N] [--cameras N] [--visit-every S]
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type DeviceId, MemoryKeyStore, Viewer } from '@sealcam/client';
import { nodeWebSocket } from '@sealcam/client/node';
import { LOOPBACK_FLEET_LIMITS, launchRelay } from '@sealcam/relay/launcher';
import { agentDir, startCli } from '@sealcam/testkit/agent';
import type { Page } from 'playwright-core';
import { CHROMIUM, launchBrowser } from '../media/browser.js';
import { boundedOption, pair, START_TIMEOUT_MS, stopAgent, webRoot } from '../media/harness.js';
import { round, sleep } from '../media/stats.js';
import { type AllocatorSizes, allocatorSizes } from './allocators.js';
import { chromiumProcesses, type ProcessMemory, pageRenderer } from './chromium-memory.js';

const USAGE =
  'Usage: npm run bench:web-memory -- [--json] [--minutes N] [--events N] [--cameras N]\n' +
  '                                   [--visit-every SECONDS] [--codec h264|jpeg]\n\n' +
  "The web viewer's renderer memory (RSS and PSS, from /proc) after N minutes (default 10) with 4 live\n" +
  'H.264 cameras (--codec jpeg: JPEG ones) that record about --events events (default 200) meanwhile,\n' +
  'next to the same app with no camera in a second Chromium of the same run. The page opens Events\n' +
  'for 5 s every --visit-every seconds (default 60; 0: never). RSS is also split by kind (mapped files,\n' +
  'anonymous, shared memory). --json: one JSON object on stdout.\n' +
  'Needs ffmpeg and chromium.\n';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
    minutes: { type: 'string', default: '10' },
    events: { type: 'string', default: '200' },
    cameras: { type: 'string', default: '4' },
    'visit-every': { type: 'string', default: '60' },
    codec: { type: 'string', default: 'h264' },
  },
});
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const bounded = boundedOption('bench:web-memory', USAGE);
const minutes = bounded(values.minutes, 'minutes', 1, 60);
const targetEvents = bounded(values.events, 'events', 4, 2000);
const CAMERAS = bounded(values.cameras, 'cameras', 1, 9);
/** How often the page opens Events for 5 s (thumbnails load there); 0: never. */
if (values.codec !== 'h264' && values.codec !== 'jpeg') {
  process.stderr.write(`bench:web-memory: --codec is h264 or jpeg\n\n${USAGE}`);
  process.exit(2);
}
const CODEC: 'h264' | 'jpeg' = values.codec;
const CODEC_NAME = CODEC === 'h264' ? 'H.264' : 'JPEG';
const VISIT_EVENTS_MS = bounded(values['visit-every'], 'visit-every', 0, 3600) * 1000;
for (const program of ['ffmpeg', CHROMIUM])
  if (spawnSync(program, ['-version'], { stdio: 'ignore' }).status !== 0) {
    process.stderr.write(`bench:web-memory: ${program} is missing (apt-get install ffmpeg chromium)\n`);
    process.exit(1);
  }

const GOAL_BYTES = 250 * 1024 * 1024;
const SAMPLE_MS = 30_000;
/** Each camera's motion period, so that the cameras together record about `targetEvents` in the window. */
const motionEverySeconds = Math.max(4, Math.round((minutes * 60 * CAMERAS) / targetEvents));
const log = (line: string) => process.stderr.write(`bench:web-memory: ${line}\n`);
const MB = 1024 * 1024;

const cleanups: (() => Promise<unknown>)[] = [];
const cleanUp = async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
};
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    log(`${signal}: stopping`);
    void cleanUp().finally(() => process.exit(130));
  });
const budgetMs = (minutes * 60 + 600) * 1000;
const watchdog = setTimeout(() => {
  log(`gave up after ${budgetMs / 1000} s`);
  void cleanUp().finally(() => process.exit(1));
}, budgetMs);

interface Sample {
  readonly atSeconds: number;
  readonly rendererRss: number;
  readonly rendererPss: number;
  readonly rendererPrivate: number;
  readonly rendererKinds: ProcessMemory['rss'];
  /** Chromium's memory-infra account of the renderer, by allocator. */
  readonly allocators: AllocatorSizes;
  readonly jsHeap: number;
  readonly baselineRss: number;
  readonly baselinePss: number;
  readonly baselineKinds: ProcessMemory['rss'];
  readonly rows: number;
}

function byKind(rss: ProcessMemory['rss']): Record<'files' | 'anonymous' | 'sharedMemory', number | null> {
  return {
    files: round(rss.file / MB, 1),
    anonymous: round(rss.anonymous / MB, 1),
    sharedMemory: round(rss.shared / MB, 1),
  };
}

function describeAllocators(sizes: Record<string, number | null>, most = Number.POSITIVE_INFINITY): string {
  return Object.entries(sizes)
    .slice(0, most)
    .map(([name, mb]) => `${name} ${mb}`)
    .join(', ');
}

/** Allocators of at least 0.1 MB, largest first, in MB. */
function inMB(sizes: AllocatorSizes): Record<string, number | null> {
  return Object.fromEntries(
    Object.entries(sizes)
      .filter(([, bytes]) => bytes >= MB / 10)
      .sort(([, a], [, b]) => b - a)
      .map(([name, bytes]) => [name, round(bytes / MB, 1)]),
  );
}

async function jsHeapUsed(page: Page): Promise<number> {
  const session = await page.context().newCDPSession(page);
  try {
    await session.send('Performance.enable');
    const { metrics } = await session.send('Performance.getMetrics');
    return metrics.find((metric) => metric.name === 'JSHeapUsedSize')?.value ?? 0;
  } finally {
    await session.detach().catch(() => undefined);
  }
}

async function navigate(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name, exact: true }).click();
}

let output: Record<string, unknown>;
try {
  const relay = await launchRelay({
    env: {
      SEALCAM_HOST: '127.0.0.1',
      SEALCAM_WEB_ROOT: webRoot(),
      // 200 events with their clips: more than the default device quota (16 MiB).
      SEALCAM_STORE_MAX_BYTES: String(2 * 1024 ** 3),
      SEALCAM_DEVICE_QUOTA_BYTES: String(1024 ** 3),
      ...LOOPBACK_FLEET_LIMITS,
    },
  });
  cleanups.push(() => relay.kill());
  const dir = agentDir(relay.base, {
    gatewayName: 'Bench home',
    cameras: Array.from({ length: CAMERAS }, (_, i) => ({
      id: `cam-${i + 1}`,
      displayName: `Camera ${i + 1}`,
      name: `CAMERA ${i + 1}`,
      source: 'synthetic',
      codec: CODEC,
      audio: false,
      width: 640,
      height: 360,
      fps: 10,
      quality: 60,
      motionEverySeconds,
      motionSeconds: 2,
      motion: { cooldownSeconds: 1, endAfterSeconds: 1, backgroundSeconds: 1 },
    })),
  });
  cleanups.push(async () => rmSync(dir.stateDir, { recursive: true, force: true }));
  const init = dir.cli(['init']);
  if (init.status !== 0) throw new Error(`agent init failed: ${init.stderr}`);

  // A Node viewer counts the events the relay holds; the measured browser and the baseline browser.
  const counter = await Viewer.open({ store: new MemoryKeyStore(), WebSocket: nodeWebSocket });
  cleanups.push(async () => counter.close());
  let deviceId = '' as DeviceId;
  await pair(dir, async (code) => {
    deviceId = (await counter.pair(code, { name: 'bench counter' })).deviceId;
  });
  const browser = await launchBrowser();
  cleanups.push(() => browser.close());
  const page = await browser.context.newPage();
  await pair(dir, async (_code, link) => {
    await page.goto(link);
    await page.locator('[data-testid="safety-number"]').first().waitFor({ timeout: START_TIMEOUT_MS });
  });
  const baseline = await launchBrowser();
  cleanups.push(() => baseline.close());
  const empty = await baseline.context.newPage();
  await empty.goto(`${relay.base}/`);
  await empty.locator('#live-empty').waitFor({ timeout: START_TIMEOUT_MS });

  const run = startCli(dir, ['run']);
  cleanups.push(() => stopAgent(run));
  await run.waitFor(/agent running/, START_TIMEOUT_MS);
  await page.goto(`${relay.base}/`);
  // H.264 pictures go to a tile's live-canvas, JPEG ones to its live-image canvas.
  await page.waitForFunction(
    (count) =>
      Array.from(
        document.querySelectorAll<HTMLCanvasElement>(
          '[data-testid="camera-tile"] :is([data-testid="live-canvas"], [data-testid="live-image"])',
        ),
      ).filter((canvas) => canvas.width > 0).length >= count,
    CAMERAS,
    { timeout: START_TIMEOUT_MS },
  );
  log(
    `${CAMERAS} cameras live on the page (an event every ~${motionEverySeconds} s each); watching ${minutes} min`,
  );

  const samples: Sample[] = [];
  const start = performance.now();
  const elapsed = () => (performance.now() - start) / 1000;
  const sample = async () => {
    const renderer = pageRenderer(chromiumProcesses(browser.profile));
    const idle = pageRenderer(chromiumProcesses(baseline.profile));
    if (!renderer || !idle) throw new Error('a renderer process was not found');
    const taken: Sample = {
      atSeconds: Math.round(elapsed()),
      rendererRss: renderer.rssBytes,
      rendererPss: renderer.pssBytes,
      rendererPrivate: renderer.privateBytes,
      rendererKinds: renderer.rss,
      allocators: await allocatorSizes(page, renderer.pid),
      jsHeap: await jsHeapUsed(page),
      baselineRss: idle.rssBytes,
      baselinePss: idle.pssBytes,
      baselineKinds: idle.rss,
      rows: await page.locator('[data-testid="event-row"]').count(),
    };
    samples.push(taken);
    log(
      `${taken.atSeconds} s: renderer ${round(taken.rendererRss / MB, 0)} MB RSS, ${round(taken.rendererPss / MB, 0)} MB PSS, ${round(taken.rendererPrivate / MB, 0)} MB private (files ${round(taken.rendererKinds.file / MB, 0)}, anonymous ${round(taken.rendererKinds.anonymous / MB, 0)}, shared memory ${round(taken.rendererKinds.shared / MB, 0)}), JS heap ${round(taken.jsHeap / MB, 1)} MB [${describeAllocators(inMB(taken.allocators), 4)}], ${taken.rows} event rows; empty app ${round(taken.baselineRss / MB, 0)} MB RSS`,
    );
  };
  let nextVisit = VISIT_EVENTS_MS;
  await sample();
  for (let tick = 0; tick < 1000 && elapsed() < minutes * 60; tick++) {
    await sleep(Math.min(SAMPLE_MS, Math.max(0, minutes * 60 - elapsed()) * 1000));
    if (VISIT_EVENTS_MS > 0 && elapsed() * 1000 >= nextVisit && elapsed() < minutes * 60) {
      nextVisit += VISIT_EVENTS_MS;
      await navigate(page, 'Events');
      await sleep(5000);
      await navigate(page, 'Live');
    }
    await sample();
  }
  let events = 0;
  for (let after: string | undefined, pages = 0; pages < 100; pages++) {
    const listed = await counter.events(deviceId, { limit: 500, ...(after ? { after } : {}) });
    events += listed.events.length;
    if (!listed.next) break;
    after = listed.next;
  }
  const last = samples.at(-1)!;
  const idleRenderer = pageRenderer(chromiumProcesses(baseline.profile));
  const baselineAllocators = idleRenderer ? await allocatorSizes(empty, idleRenderer.pid) : {};
  const peak = samples.reduce((most, each) => (each.rendererRss > most.rendererRss ? each : most));
  output = {
    benchmark: 'web-memory',
    minutes,
    visitEventsEverySeconds: VISIT_EVENTS_MS / 1000,
    cameras: CAMERAS,
    camera: { codec: CODEC_NAME, width: 640, height: 360, fps: 10 },
    events,
    eventRowsInPage: last.rows,
    rendererMB: {
      rss: round(last.rendererRss / MB, 1),
      pss: round(last.rendererPss / MB, 1),
      private: round(last.rendererPrivate / MB, 1),
    },
    peakRendererMB: { rss: round(peak.rendererRss / MB, 1), atSeconds: peak.atSeconds },
    // RSS counts the chromium binary's and libraries' pages this process has touched (shared with every
    // Chromium process): most of the empty app's RSS too.
    rendererRssByKindMB: byKind(last.rendererKinds),
    rendererAllocatorsMB: inMB(last.allocators),
    baselineAllocatorsMB: inMB(baselineAllocators),
    jsHeapMB: round(last.jsHeap / MB, 1),
    baselineEmptyAppMB: { rss: round(last.baselineRss / MB, 1), pss: round(last.baselinePss / MB, 1) },
    baselineRssByKindMB: byKind(last.baselineKinds),
    ratioToEmptyApp: {
      rss: round(last.rendererRss / last.baselineRss, 2),
      pss: round(last.rendererPss / last.baselinePss, 2),
    },
    goalMB: GOAL_BYTES / MB,
    // Judged on the peak of each measure: RSS counts pages shared with Chromium's other processes too.
    goalMet: {
      rss: peak.rendererRss <= GOAL_BYTES,
      pss: Math.max(...samples.map((each) => each.rendererPss)) <= GOAL_BYTES,
      private: Math.max(...samples.map((each) => each.rendererPrivate)) <= GOAL_BYTES,
    },
    samples: samples.map((each) => ({
      atSeconds: each.atSeconds,
      rssMB: round(each.rendererRss / MB, 1),
      pssMB: round(each.rendererPss / MB, 1),
      privateMB: round(each.rendererPrivate / MB, 1),
      jsHeapMB: round(each.jsHeap / MB, 1),
      rssByKindMB: byKind(each.rendererKinds),
      allocatorsMB: inMB(each.allocators),
      rows: each.rows,
    })),
  };
} catch (error) {
  log(`failed: ${(error as Error).stack ?? error}`);
  clearTimeout(watchdog);
  await cleanUp();
  process.exit(1);
}
clearTimeout(watchdog);
await cleanUp();
if (values.json) process.stdout.write(`${JSON.stringify(output)}\n`);
else {
  const o = output as {
    rendererMB: { rss: number; pss: number; private: number };
    rendererRssByKindMB: ReturnType<typeof byKind>;
    rendererAllocatorsMB: Record<string, number | null>;
    baselineRssByKindMB: ReturnType<typeof byKind>;
    peakRendererMB: { rss: number; atSeconds: number };
    baselineEmptyAppMB: { rss: number; pss: number };
    ratioToEmptyApp: { rss: number; pss: number };
    jsHeapMB: number;
    events: number;
    eventRowsInPage: number;
    goalMet: { rss: boolean; pss: boolean; private: boolean };
  };
  process.stdout.write(
    [
      `web viewer renderer after ${minutes} min, ${CAMERAS} live ${CODEC_NAME} cameras (640×360, 10 fps), ${o.events} events recorded:`,
      `  renderer      ${o.rendererMB.rss} MB RSS, ${o.rendererMB.pss} MB PSS, ${o.rendererMB.private} MB private (peak ${o.peakRendererMB.rss} MB RSS at ${o.peakRendererMB.atSeconds} s), JS heap ${o.jsHeapMB} MB`,
      `  renderer RSS  ${o.rendererRssByKindMB.files} MB mapped files (the chromium binary, libraries), ${o.rendererRssByKindMB.anonymous} MB anonymous, ${o.rendererRssByKindMB.sharedMemory} MB shared memory`,
      `  by allocator  ${describeAllocators(o.rendererAllocatorsMB)} (Chromium's memory-infra)`,
      `  empty app     ${o.baselineEmptyAppMB.rss} MB RSS, ${o.baselineEmptyAppMB.pss} MB PSS (same run, no camera)`,
      `  its RSS       ${o.baselineRssByKindMB.files} MB mapped files, ${o.baselineRssByKindMB.anonymous} MB anonymous, ${o.baselineRssByKindMB.sharedMemory} MB shared memory`,
      `  ratio         ${o.ratioToEmptyApp.rss}× RSS, ${o.ratioToEmptyApp.pss}× PSS`,
      `  event rows    ${o.eventRowsInPage} in the page`,
      `  goal ≤ 250 MB (peak): RSS ${o.goalMet.rss ? 'met' : 'NOT met'}, PSS ${o.goalMet.pss ? 'met' : 'NOT met'}, private ${o.goalMet.private ? 'met' : 'NOT met'}`,
      '',
    ].join('\n'),
  );
}
