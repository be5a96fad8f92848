/**
 * Agent benchmark: CPU of one synthetic 1280×720 camera at 15 fps in the agent's frame path
 * (render + JPEG + motion analysis + event capture), without and with sealing, in alternating
 * phases of the same run; plus the sealing time per frame measured directly, next to a raw
 * libsodium-wrappers AEAD call on the same frame at the same moment (the same-run baseline). The
 * frames/s the camera delivered are shown next to its configured 15 fps (the tests only check that
 * frames come in order and never faster: on a busy machine the camera skips slots by design).
 * Usage: npm run bench:agent [-- --json] [-- --seconds N]
 */
import { cpus } from 'node:os';
import { cpuUsage } from 'node:process';
import { createIdentity, type IdentityCard, parseStreamId, Role, ready } from '@sealcam/protocol';
import sodium from 'libsodium-wrappers';
import type { JpegFrame } from '../src/camera/frame.js';
import { SyntheticCamera } from '../src/camera/synthetic.js';
import { EventCapture } from '../src/motion/event-capture.js';
import { LiveStreamSealer } from '../src/seal/live-stream-sealer.js';

if (process.argv.includes('--help')) {
  process.stdout.write(
    'Usage: npm run bench:agent -- [--json] [--seconds N]\n\n' +
      'sealcam agent benchmark: CPU of one synthetic 1280x720 camera at 15 fps without and with sealing\n' +
      '(phases of N s, default 8), and sealing per frame next to a raw AEAD call. --json: one JSON object.\n',
  );
  process.exit(0);
}
await ready();
await sodium.ready;

const json = process.argv.includes('--json');
const secondsArg = process.argv.indexOf('--seconds');
const PHASE_SECONDS = secondsArg > 0 ? Math.min(120, Math.max(2, Number(process.argv[secondsArg + 1]))) : 8;
const PHASES = ['plain', 'sealed', 'plain', 'sealed'] as const;

const device = createIdentity(Role.Device);
const viewers: IdentityCard[] = [createIdentity(Role.Viewer).card, createIdentity(Role.Viewer).card];

interface PhaseResult {
  cpuPercent: number;
  frames: number;
  sealMicros: number;
  rawMicros: number;
  jpegBytes: number;
}

async function phase(sealed: boolean, seconds: number): Promise<PhaseResult> {
  const sealer = new LiveStreamSealer({
    device,
    streamId: parseStreamId('bench'),
    previousManifest: null,
    rotateEveryMs: 600_000,
    keyframeEveryMs: 2000,
  });
  if (sealed) sealer.rotate(viewers, Date.now());
  let frames = 0;
  let jpegBytes = 0;
  let sealNanos = 0n;
  let rawNanos = 0n;
  const rawKey = sodium.randombytes_buf(32);
  const rawNonce = sodium.randombytes_buf(24);
  const rawAad = new Uint8Array(40);
  // Motion every 4 s so events (thumbnail, clip) are part of the measured work in both phases.
  const camera = new SyntheticCamera({
    cameraId: 'bench',
    width: 1280,
    height: 720,
    fps: 15,
    motionEverySeconds: 4,
  });
  const capture = new EventCapture({ cameraId: 'bench', onEvent: () => undefined });
  const onFrame = (frame: JpegFrame) => {
    frames++;
    jpegBytes += frame.jpeg.length;
    if (sealed) {
      // Baseline in the same conditions (same frame, same moment, caches as cold): one raw AEAD call.
      const rawStart = process.hrtime.bigint();
      sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(frame.jpeg, rawAad, null, rawNonce, rawKey);
      const start = process.hrtime.bigint();
      sealer.sealFrame(frame.jpeg, frame.capturedAt, Date.now());
      const end = process.hrtime.bigint();
      rawNanos += start - rawStart;
      sealNanos += end - start;
    }
    capture.push(frame);
  };
  const cpuBefore = cpuUsage();
  const wallBefore = performance.now();
  camera.start(onFrame, (error) => console.error(`camera: ${error.message}`));
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  await camera.stop();
  await capture.close();
  const cpu = cpuUsage(cpuBefore);
  const wallMs = performance.now() - wallBefore;
  sealer.retire();
  return {
    cpuPercent: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
    frames,
    sealMicros: frames > 0 ? Number(sealNanos / 1000n) / frames : 0,
    rawMicros: frames > 0 ? Number(rawNanos / 1000n) / frames : 0,
    jpegBytes: frames > 0 ? jpegBytes / frames : 0,
  };
}

const results: Record<'plain' | 'sealed', PhaseResult[]> = { plain: [], sealed: [] };
for (const name of PHASES) results[name].push(await phase(name === 'sealed', PHASE_SECONDS));
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const plainCpu = mean(results.plain.map((r) => r.cpuPercent));
const sealedCpu = mean(results.sealed.map((r) => r.cpuPercent));
const jpegBytes = Math.round(mean([...results.plain, ...results.sealed].map((r) => r.jpegBytes)));
const sealMicros = mean(results.sealed.map((r) => r.sealMicros));
const rawMicros = mean(results.sealed.map((r) => r.rawMicros));
const framesPerSecond = mean([...results.plain, ...results.sealed].map((r) => r.frames)) / PHASE_SECONDS;

const report = {
  camera: 'synthetic 1280x720 @ 15 fps',
  phaseSeconds: PHASE_SECONDS,
  phases: PHASES.length,
  framesPerSecond: Number(framesPerSecond.toFixed(2)),
  framesPerSecondConfigured: 15,
  framesPerSecondRatio: Number((framesPerSecond / 15).toFixed(3)),
  meanJpegBytes: jpegBytes,
  cpuPercentWithoutSealing: Number(plainCpu.toFixed(2)),
  cpuPercentWithSealing: Number(sealedCpu.toFixed(2)),
  sealingCostPercentByDifference: Number((sealedCpu - plainCpu).toFixed(2)),
  sealMicrosPerFrame: Number(sealMicros.toFixed(1)),
  sealCorePercentAt15fps: Number(((sealMicros * 15) / 10_000).toFixed(3)),
  rawAeadMicrosPerFrame: Number(rawMicros.toFixed(1)),
  sealToRawRatio: Number((sealMicros / rawMicros).toFixed(2)),
  cores: cpus().length,
  node: process.version,
};

if (json) console.log(JSON.stringify(report));
else {
  console.log(`agent bench: ${report.camera}, ${PHASES.length} alternating phases of ${PHASE_SECONDS} s`);
  console.log(
    `  frames/s delivered            ${report.framesPerSecond} of ${report.framesPerSecondConfigured} configured (ratio ${report.framesPerSecondRatio}; mean JPEG ${jpegBytes} bytes)`,
  );
  console.log(`  CPU without sealing           ${report.cpuPercentWithoutSealing} % of a core`);
  console.log(`  CPU with sealing              ${report.cpuPercentWithSealing} % of a core`);
  console.log(
    `  difference (cost of sealing)  ${report.sealingCostPercentByDifference} % (noisy: two measurements)`,
  );
  console.log(
    `  sealing, measured directly    ${report.sealMicrosPerFrame} µs/frame = ${report.sealCorePercentAt15fps} % of a core at 15 fps`,
  );
  console.log(
    `  raw AEAD on the same frames   ${report.rawAeadMicrosPerFrame} µs/frame (seal/raw ratio ${report.sealToRawRatio})`,
  );
}
