import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Codec, ready } from '@sealcam/protocol';
import { agentDir, pairViewer, testCamera } from '@sealcam/testkit/agent';
import { until } from '@sealcam/testkit/poll';
import { startRelay, type TestRelay } from '@sealcam/testkit/relay';
import { Agent } from '../src/agent.js';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { IDLE_KEYFRAME_MS } from '../src/relay/live-demand.js';
import { TestViewer } from './support/test-viewer.js';

let relay: TestRelay;
before(async () => {
  await ready();
  relay = await startRelay();
});
after(async () => {
  await relay?.stop();
});

for (const codec of ['jpeg', 'h264'] as const)
  test(`live on demand (${codec} camera): unwatched, the camera uploads only a keyframe per 10 s; a viewer who subscribes gets every frame, at once`, async () => {
    const dir = agentDir(relay.base, {
      cameras: [testCamera('cam-1', { fps: 10, codec, audio: codec === 'h264' })],
    });
    const init = dir.cli(['init']);
    assert.equal(init.status, 0, init.stderr);
    const viewer = new TestViewer(relay.base);
    await pairViewer(dir, viewer);
    const config = loadConfig({ stateDir: dir.stateDir, env: {} });
    const agent = await Agent.start(config, silentLogger);
    try {
      // The relay announces leases at connect (until then every frame goes): from then on, nobody watches.
      await until(
        () => agent.status().cameras[0]!.watched === false || null,
        60_000,
        'the lease announcement',
      );
      const from = agent.status().cameras[0]!;
      const startedAt = Date.now();
      await until(
        () => (agent.status().cameras[0]!.frames >= from.frames + 40 ? true : null),
        120_000,
        '40 more camera frames',
      );
      const idle = agent.status().cameras[0]!;
      const elapsed = Date.now() - startedAt;
      assert.equal(idle.watched, false, 'nobody watches');
      // One keyframe per 10 s at most (+1 for the interval under way, +1 for a keyframe wanted by a rotation).
      const allowed = 2 + Math.ceil(elapsed / IDLE_KEYFRAME_MS);
      const sent = idle.framesSent - from.framesSent;
      assert.ok(
        sent <= allowed,
        `unwatched: ${sent} of ${idle.frames - from.frames} frames sent live in ${elapsed} ms (allowed ${allowed})`,
      );

      // 20 frames within the bound: at the idle rate that would take over 3 minutes.
      // Pictures only (an H.264 camera's audio frames come too, and are not counted in framesSent).
      const pictures = (watch: { opened: { codec: number }[] }) =>
        watch.opened.filter((frame) => frame.codec !== Codec.AacAdts).length;
      const live = await viewer.watchLiveUntil(
        'cam-1',
        (watch) => pictures(watch) >= 20,
        '20 live pictures',
        {
          timeoutMs: 90_000,
        },
      );
      assert.deepEqual(live.rejected, []);
      const watched = agent.status().cameras[0]!;
      assert.equal(watched.watched, true, 'a lease runs while the viewer watches');
      assert.ok(watched.framesSent >= idle.framesSent + 19, 'every frame goes while watched');
    } finally {
      await agent.stop();
    }
  });
