import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createAgent, type TestAgent } from '@sealcam/testkit/agent';
import { assertAvSync } from '@sealcam/testkit/av-sync';
import { until } from '@sealcam/testkit/poll';
import { requireProgram } from '@sealcam/testkit/programs';
import { startRelay, type TestRelay } from '@sealcam/testkit/relay';
import { RtspTestCamera } from '@sealcam/testkit/rtsp-camera';
import { probe } from './support/media-probe.js';
import { pairCliViewer } from './support/paired-viewer.js';
import { launchViewerCli, runViewerCli } from './support/viewer-cli.js';

/**
 * `live --out file.mp4` end to end: an RTSP camera (real ffmpeg) whose picture flashes and whose sound
 * beeps at the same instants, passed through by a device agent, sealed, through a real relay, to the
 * viewer CLI; the written MP4 measured by real ffmpeg. Then the camera changes resolution mid-stream.
 */
requireProgram('ffmpeg');
requireProgram('ffprobe', 'ffmpeg');

const FPS = 15;
/** One video frame (67 ms) + one AAC frame + the AAC encoder's one-frame priming (21 ms each). */
const BOUND_MS = 1000 / FPS + 2 * ((1024 / 48_000) * 1000);

let relay: TestRelay;
let camera: RtspTestCamera;
let agent: TestAgent;
let dir: string;
let state: string;
let deviceId: string;

before(async () => {
  relay = await startRelay();
  camera = await RtspTestCamera.start({
    width: 160,
    height: 120,
    fps: FPS,
    audio: 'aac',
    pattern: 'flash-beep',
  });
  agent = createAgent(relay.base, [{ id: 'door', source: 'rtsp', url: camera.url(), mode: 'passthrough' }]);
  ({ dir, state, deviceId } = await pairCliViewer(agent, 'sync test', 'sealcam-cli-sync-'));
});
after(async () => {
  await agent?.stop();
  await camera?.stop();
  await relay?.stop();
});

test('live --out file.mp4 from an RTSP camera through agent and relay: every flash has its beep within one video frame + two AAC frames', async () => {
  const file = join(dir, 'sync.mp4');
  const run = await runViewerCli(
    state,
    ['live', deviceId, 'door', '--out', file, '--frames', String(8 * FPS)],
    240_000,
  );
  assert.equal(run.status, 0, run.stderr);
  assertAvSync(file, { minFlashes: 5, boundMs: BOUND_MS, label: 'live --out' });
});

test('live --out file.mp4 across a camera resolution change: file.mp4 keeps 160x120, the rest goes to file-2.mp4 at 320x240, said on stderr, both read by ffprobe', async () => {
  const file = join(dir, 'change.mp4');
  const second = join(dir, 'change-2.mp4');
  const live = launchViewerCli(state, ['live', deviceId, 'door', '--out', file, '--seconds', '600'], 600_000);
  try {
    // The first file has a fragment (it grows past its init segment) before the camera changes.
    await until(() => existsSync(file) && statSync(file).size > 4096, 120_000, 'change.mp4 written');
    await camera.changeResolution(320, 240);
    // The agent restarts its pipeline for the new stream; the viewer goes on in the second file.
    await until(() => existsSync(second) && statSync(second).size > 4096, 180_000, 'change-2.mp4 written');
  } finally {
    live.child.kill('SIGINT');
  }
  const run = await live.done;
  assert.equal(run.status, 0, run.stderr);
  assert.match(
    run.stderr,
    /stream changed \(new H\.264 parameters \(SPS\/PPS\); now 320x240 avc1\.[0-9a-f]{6}\): .*change\.mp4 is finished, continuing in .*change-2\.mp4/,
  );
  assert.match(run.stdout, /change\.mp4 … .*change-2\.mp4 \(2 files\)/);
  for (const [path, width, height] of [
    [file, 160, 120],
    [second, 320, 240],
  ] as const) {
    const video = probe(path).streams.find((stream) => stream.codec_type === 'video');
    assert.equal(video?.codec_name, 'h264', path);
    assert.deepEqual([video?.width, video?.height], [width, height], path);
    assert.ok(Number(video?.nb_read_frames) >= FPS, `${path}: ${video?.nb_read_frames} frames decode`);
  }
});
