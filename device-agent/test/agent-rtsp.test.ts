import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ready } from '@sealcam/protocol';
import { agentDir, pairViewer, startCli } from '@sealcam/testkit/agent';
import { requireProgram } from '@sealcam/testkit/programs';
import { startRelay, type TestRelay } from '@sealcam/testkit/relay';
import { RtspTestCamera } from '@sealcam/testkit/rtsp-camera';
import sharp from 'sharp';
import { TestViewer } from './support/test-viewer.js';

requireProgram('ffmpeg');
let relay: TestRelay;
let camera: RtspTestCamera;
before(async () => {
  await ready();
  relay = await startRelay();
  camera = await RtspTestCamera.start({ width: 320, height: 240, fps: 10 });
});
after(async () => {
  await camera?.stop();
  await relay?.stop();
});

test('a gateway with an RTSP camera (real ffmpeg on loopback): the paired viewer opens its live frames', async () => {
  const dir = agentDir(relay.base, {
    cameras: [{ id: 'door', source: 'rtsp', url: camera.url(), fps: 5, width: 320, height: 240 }],
  });
  assert.equal(dir.cli(['init']).status, 0);
  const viewer = new TestViewer(relay.base);
  await pairViewer(dir, viewer);
  const run = startCli(dir, ['run']);
  try {
    await run.waitFor(/agent running/);
    // ffmpeg probes the stream for a few seconds before its first frame.
    const live = await viewer.watchLiveUntil(
      'door',
      (watch) => watch.frames.length >= 3,
      '3 live RTSP frames',
      {
        timeoutMs: 120_000,
      },
    );
    assert.deepEqual(live.rejected, []);
    const { frames } = live;
    const meta = await sharp(frames.at(-1)!).metadata();
    assert.equal(meta.format, 'jpeg');
    assert.deepEqual([meta.width, meta.height], [320, 240]);
  } finally {
    assert.equal(
      await run.stop(),
      0,
      `SIGTERM stops the agent cleanly (signal ${run.child.signalCode}): ${run.stderr.join('').slice(-2000)}`,
    );
  }
});
