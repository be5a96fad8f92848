import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Codec, decodeMediaPayload, ready } from '@sealcam/protocol';
import { agentDir, pairViewer, startCli } from '@sealcam/testkit/agent';
import { requireGstreamer, requireProgram } from '@sealcam/testkit/programs';
import { startRelay, type TestRelay } from '@sealcam/testkit/relay';
import { RtspTestCamera } from '@sealcam/testkit/rtsp-camera';
import { GST_ELEMENTS } from '../src/camera/gst-passthrough-args.js';
import { GSTREAMER_PACKAGES } from '../src/camera/passthrough-exit.js';
import { decodeH264 } from './support/h264-check.js';
import { TestViewer } from './support/test-viewer.js';

requireProgram('ffmpeg');
requireProgram('ffprobe', 'ffmpeg');
requireGstreamer(GST_ELEMENTS, GSTREAMER_PACKAGES);
let relay: TestRelay;
let camera: RtspTestCamera;
before(async () => {
  await ready();
  relay = await startRelay();
  camera = await RtspTestCamera.start({ width: 320, height: 240, fps: 10, audio: 'aac' });
});
after(async () => {
  await camera?.stop();
  await relay?.stop();
});

test("an H.264 RTSP camera through the agent (its default client, GStreamer here, said in log and status) and a real relay: the viewer gets the camera's own access units (codec 2) from a keyframe, decodable, and its AAC (codec 5); a late joiner starts at the relay's cached keyframe", async () => {
  const dir = agentDir(relay.base, {
    cameras: [{ id: 'door', source: 'rtsp', url: camera.url(), mode: 'passthrough' }],
  });
  assert.equal(dir.cli(['init']).status, 0);
  const viewer = new TestViewer(relay.base);
  await pairViewer(dir, viewer);
  const run = startCli(dir, ['run']);
  try {
    await run.waitFor(/agent running/);
    const live = await viewer.watchLiveUntil(
      'door',
      (watch) =>
        watch.opened.filter((f) => f.codec === Codec.H264AnnexB).length >= 25 &&
        watch.opened.some((f) => f.codec === Codec.AacAdts),
      '25 H.264 units and audio',
      { timeoutMs: 120_000 },
    );
    assert.deepEqual(live.rejected, []);
    const video = live.opened.filter((f) => f.codec === Codec.H264AnnexB);
    assert.ok(video[0]!.keyframe, 'the viewer starts at a keyframe');
    const units = video.map((f) => decodeMediaPayload(f.payload));
    for (let i = 1; i < units.length; i++)
      assert.ok(units[i]!.capturedAtUs > units[i - 1]!.capturedAtUs, 'capture times increase');
    const decoded = decodeH264(Buffer.concat(units.map((u) => u.unit)));
    assert.equal(decoded.width, 320);
    assert.equal(decoded.frames, units.length, 'every unit decodes');
    assert.ok(
      live.opened.every((f) => f.codec !== Codec.Jpeg),
      'nothing is re-encoded to JPEG',
    );

    // A second, late viewer session: the relay's cached keyframe comes first.
    const late = await viewer.watchLiveUntil(
      'door',
      (watch) => watch.opened.filter((f) => f.codec === Codec.H264AnnexB).length >= 3,
      '3 H.264 units for a late joiner',
      { timeoutMs: 120_000 },
    );
    assert.ok(late.opened.find((f) => f.codec === Codec.H264AnnexB)?.keyframe, 'the cached keyframe first');
    // GStreamer is installed here: `auto` (the default) chose it, and says so in the log and in status.
    assert.match(
      run.stderr.join(''),
      /"client":"gstreamer","why":"auto: GStreamer is installed".*"msg":"rtsp client"/,
    );
    const status = dir.cli(['status']);
    assert.match(
      status.stdout,
      /camera door \(rtsp, .*rtsp client gstreamer \(auto: GStreamer is installed\)/,
    );
  } finally {
    assert.equal(
      await run.stop(),
      0,
      `SIGTERM stops the agent cleanly (signal ${run.child.signalCode}): ${run.stderr.join('').slice(-2000)}`,
    );
  }
});
