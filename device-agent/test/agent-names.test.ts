import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createCameraName, formatId, ID_TEXT_PATTERN, ready, systemRng, utf8 } from '@sealcam/protocol';
import { agentDir, pairViewer, startCli, testCamera } from '@sealcam/testkit/agent';
import { until } from '@sealcam/testkit/poll';
import { redisContents, TestRedis } from '@sealcam/testkit/redis';
import { startRelay, type TestRelay } from '@sealcam/testkit/relay';
import { TestViewer } from './support/test-viewer.js';

let redis: TestRedis;
let relay: TestRelay;
before(async () => {
  await ready();
  redis = await TestRedis.start({ persistent: true });
  relay = await startRelay({ SEALCAM_STORE: 'redis', SEALCAM_REDIS_URL: redis.url });
});
after(async () => {
  await relay?.stop();
  await redis?.stop();
});

/** Every text that names something in this home: configured ids, display names, the owner's renames. */
const NAMES = [
  'kids-room',
  'Kids room',
  'bedroom',
  'garage-side',
  'Maple Street',
  'Nursery',
  'Playroom',
  'Attic',
];

function holdsAName(bytes: Uint8Array): string | undefined {
  const haystack = Buffer.from(bytes);
  return NAMES.find((name) => haystack.includes(Buffer.from(utf8(name))));
}

test('names are content: the relay holds opaque stream ids and sealed names only; the owner renames a camera and a replayed rename is refused', async () => {
  const dir = agentDir(relay.base, {
    gatewayName: 'Maple Street',
    cameras: [
      testCamera('kids-room', { displayName: 'Kids room' }),
      testCamera('bedroom'),
      // A camera that cannot be reached: its errors are logged and kept in the status, without its id.
      { id: 'garage-side', source: 'mjpeg', url: 'http://127.0.0.1:9/video' },
    ],
  });
  assert.equal(dir.cli(['init']).status, 0);
  const owner = new TestViewer(relay.base);
  await pairViewer(dir, owner);
  const run = startCli(dir, ['run']);
  try {
    await run.waitFor(/agent running/);
    const kids = await owner.streamOf('Kids room');
    const bedroom = await owner.streamOf('bedroom');
    const profile = (await owner.profile())!;
    assert.equal(profile.gatewayName, 'Maple Street');
    assert.deepEqual(profile.cameras.map((c) => c.name).sort(), ['Kids room', 'bedroom', 'garage-side']);
    for (const id of [kids, bedroom])
      assert.match(id, new RegExp(ID_TEXT_PATTERN), 'an opaque 26-character id');
    assert.notEqual(kids, bedroom);

    const live = await owner.watchLiveUntil(
      'Kids room',
      (watch) => watch.frames.length >= 3,
      '3 live frames',
    );
    assert.deepEqual(live.rejected, []);
    const events = await until(
      async () => ((await owner.listEvents()).length > 0 ? owner.listEvents() : null),
      90_000,
      'an event at the relay',
    );
    for (const event of events) assert.ok([kids, bedroom].includes(event.streamId as never), event.streamId);

    // The owner renames a camera: sealed to the device, signed by the owner, carried blind.
    const rename = (name: string, issuedAt: number) =>
      createCameraName({
        owner: owner.identity,
        device: owner.device!,
        streamId: kids,
        name,
        issuedAt,
        rng: systemRng,
      });
    const inbox = `/v1/devices/${formatId(owner.device!.id)}/inbox`;
    const first = rename('Nursery', Date.now());
    assert.equal((await owner.http('POST', inbox, first)).status, 202);
    await until(
      async () => (await owner.profile())?.cameras.some((c) => c.streamId === kids && c.name === 'Nursery'),
      60_000,
      'the device to apply the rename',
    );
    assert.equal((await owner.http('POST', inbox, rename('Playroom', Date.now() + 1))).status, 202);
    await until(
      async () => (await owner.profile())?.cameras.some((c) => c.streamId === kids && c.name === 'Playroom'),
      60_000,
      'the device to apply the second rename',
    );
    // The relay could hand the device an old statement again: it is refused, the newer name stays;
    // one over 7 days old is refused even when the device no longer knows a later one (STALE).
    assert.equal((await owner.http('POST', inbox, first)).status, 202);
    await run.waitFor(/"reason":"REPLAYED"/);
    assert.equal((await owner.http('POST', inbox, rename('Attic', Date.now() - 8 * 86_400_000))).status, 202);
    await run.waitFor(/"reason":"STALE"/);
    const after = (await owner.profile())!;
    assert.equal(after.cameras.find((c) => c.streamId === kids)?.name, 'Playroom');
    assert.equal(
      after.cameras.find((c) => c.streamId === bedroom)?.name,
      'bedroom',
      'the other camera keeps its name',
    );

    // Nothing the relay holds or says names a camera or the home: store, logs, metrics, listings.
    const stored = await redisContents(redis.url);
    assert.ok(stored.length > 0);
    for (const bytes of stored) assert.equal(holdsAName(bytes), undefined, 'a name in Redis');
    assert.equal(holdsAName(utf8(relay.output.join(''))), undefined, "a name in the relay's log");
    const metrics = await (await fetch(`${relay.adminBase}/metrics`)).text();
    assert.equal(holdsAName(utf8(metrics)), undefined, "a name in the relay's metrics");
    const streams = await (
      await owner.http('GET', `/v1/devices/${formatId(owner.device!.id)}/streams`)
    ).text();
    assert.equal(holdsAName(utf8(streams)), undefined, 'a name in the stream listing');
    // The agent's own log does not print them either (a camera's name is content).
    assert.equal(
      holdsAName(utf8(run.stdout.join('') + run.stderr.join(''))),
      undefined,
      "a name in the agent's log",
    );
  } finally {
    await run.kill();
  }
});
