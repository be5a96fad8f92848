/**
 * `npm run bench:media`: H.264 passthrough next to the MJPEG re-encode (issue #15), both measured in
 * the same run against one real RTSP camera (GStreamer's RTSP server, bench/media/rtsp-camera.py:
 * 1920×1080, 15 fps, H.264 ~3 Mbit/s, AAC tone, burned-in block clock), a relay, a device agent and
 * Chromium showing the web viewer, all on loopback. See bench/README.md.
 * Usage: npm run bench:media -- [--json] [--seconds N] [--mode passthrough|passthrough-gst|full-decode|mjpeg|all]
 */
import { parseArgs } from 'node:util';
import { startCameraServer } from './camera-server.js';
import { type MediaMode, modeSupport } from './capability.js';
import { boundedOption } from './harness.js';
import { formatTable, type ModeOutcome } from './report.js';
import { runMode, stopAllModes } from './run-mode.js';

const USAGE =
  'Usage: npm run bench:media -- [--json] [--seconds N] [--mode passthrough|passthrough-gst|full-decode|mjpeg|all]\n' +
  '                              [--warmup N] [--idle-seconds N]\n\n' +
  'Live upload, agent CPU, glass-to-glass latency, idle upload and clip size of one RTSP camera\n' +
  '(GStreamer RTSP server, 1080p15 H.264 ~3 Mbit/s) through the agent, a relay and Chromium, for\n' +
  'H.264 passthrough (stills from keyframes; full-decode: from every frame) and the MJPEG re-encode in\n' +
  'the same run. --seconds: the measured window with a\n' +
  'viewer (default 30); --json: one JSON object on stdout. Needs python3-gi, gir1.2-gst-rtsp-server-1.0,\n' +
  'GStreamer plugins (base, good, ugly, libav), ffmpeg and chromium (bench/README.md).\n';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '10' },
    'idle-seconds': { type: 'string', default: '20' },
    mode: { type: 'string', default: 'all' },
  },
});
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const bounded = boundedOption('bench:media', USAGE);
const seconds = bounded(values.seconds, 'seconds', 5, 600);
const warmupSeconds = bounded(values.warmup, 'warmup', 2, 120);
const idleSeconds = bounded(values['idle-seconds'], 'idle-seconds', 5, 300);
const ALL_MODES: MediaMode[] = ['passthrough', 'passthrough-gst', 'full-decode', 'mjpeg'];
if (values.mode !== 'all' && !ALL_MODES.includes(values.mode as MediaMode)) {
  process.stderr.write(
    `bench:media: --mode must be passthrough, passthrough-gst, full-decode, mjpeg or all\n${USAGE}`,
  );
  process.exit(2);
}
const modes: MediaMode[] = values.mode === 'all' ? ALL_MODES : [values.mode as MediaMode];
const FPS = 15;
const KBPS = 3000;
/** Per mode: start-up (pairing, first picture) + warm-up + window + lease expiry + idle + clips/stop. */
const modeBudgetSeconds = 240 + warmupSeconds + seconds + 35 + idleSeconds;
const budgetSeconds = 60 + modes.length * modeBudgetSeconds;
const log = (line: string) => process.stderr.write(`bench:media: ${line}\n`);

const camera = await startCameraServer({
  fps: FPS,
  kbps: KBPS,
  motionEverySeconds: 20,
  motionSeconds: 3,
  maxSeconds: budgetSeconds + 30,
});
let stopping = false;
const stopEverything = async () => {
  if (stopping) return;
  stopping = true;
  await stopAllModes();
  await camera.stop();
};
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    log(`${signal}: stopping`);
    void stopEverything().finally(() => process.exit(130));
  });
const watchdog = setTimeout(() => {
  log(`gave up after ${budgetSeconds} s`);
  void stopEverything().finally(() => process.exit(1));
}, budgetSeconds * 1000);

const outcomes: ModeOutcome[] = [];
let failed = false;
try {
  for (const mode of modes) {
    const support = modeSupport(mode);
    if (!support.available) {
      log(`${mode}: ${support.reason}`);
      outcomes.push({ mode, available: false, reason: support.reason });
      continue;
    }
    const result = await runMode({
      mode,
      cameraFields: support.cameraFields,
      camera,
      fps: FPS,
      seconds,
      warmupSeconds,
      idleSeconds,
      log,
    });
    outcomes.push({ available: true, note: support.note, ...result });
  }
} catch (error) {
  failed = true;
  log(`failed: ${(error as Error).stack ?? error}`);
} finally {
  clearTimeout(watchdog);
  await stopEverything();
}
if (failed) process.exit(1);

const byMode = Object.fromEntries(outcomes.map((outcome) => [outcome.mode, outcome]));
if (values.json) {
  process.stdout.write(
    `${JSON.stringify({
      benchmark: 'media',
      rtspServer: 'GStreamer gst-rtsp-server (python3-gi), bench/media/rtsp-camera.py',
      camera: { width: 1920, height: 1080, fps: FPS, kbps: KBPS, keyframeSeconds: 2, audio: 'AAC 64 kbit/s' },
      seconds,
      ...byMode,
    })}\n`,
  );
} else process.stdout.write(formatTable(outcomes));
