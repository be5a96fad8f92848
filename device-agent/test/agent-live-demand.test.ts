import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ready } from '@sealcam/protocol';
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

test('live on demand: unwatched, the camera uploads only a keyframe per 10 s; a viewer who subscribes gets every frame, at once', async () => {
  const dir = agentDir(relay.base, { cameras: [testCamera('cam-1', { fps: 10 })] });
  const init = dir.cli(['init']);
  assert.equal(init.status, 0, init.stderr);
  const viewer = new TestViewer(relay.base);
  await pairViewer(dir, viewer);
  const config = loadConfig({ stateDir: dir.stateDir, env: {} });
  const startedAt = Date.now();
  const agent = await Agent.start(config, silentLogger);
  try {
    // The relay announces leases at connect; until then every frame goes, so wait for a connection.
    await until(() => agent.status().relay.state === 'connected' || null, 60_000, 'the agent connected');
    await until(() => (agent.status().cameras[0]!.frames >= 40 ? true : null), 120_000, '40 camera frames');
    const idle = agent.status().cameras[0]!;
    const elapsed = Date.now() - startedAt;
    assert.equal(idle.watched, false, 'nobody watches');
    // Before the announcement arrived every frame went: allow a few, plus one keyframe per 10 s.
    const allowed = 5 + Math.ceil(elapsed / IDLE_KEYFRAME_MS);
    assert.ok(
      idle.framesSent <= allowed,
      `unwatched: ${idle.framesSent} of ${idle.frames} frames sent live in ${elapsed} ms (allowed ${allowed})`,
    );

    // 20 frames within the bound: at the idle rate that would take over 3 minutes.
    const live = await viewer.watchLiveUntil(
      'cam-1',
      (watch) => watch.opened.length >= 20,
      '20 live frames',
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
