import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openNodeViewer } from '../src/node/index.js';
import { type LiveFrame, type Viewer, ViewerError } from '../src/sdk/index.js';
import { isJpeg } from './support/jpeg.js';
import { createAgent, startRelay, type TestAgent, type TestRelay, until } from './support/world.js';

let relay: TestRelay;
let agent: TestAgent;
let viewer: Viewer;
let deviceId: string;
let viewerPath: string;

before(async () => {
  relay = await startRelay();
  agent = createAgent(relay.base);
  viewerPath = join(mkdtempSync(join(tmpdir(), 'sealcam-sdk-')), 'viewer.json');
  viewer = await openNodeViewer(viewerPath);
  const { code, done } = await agent.pairingCode();
  const camera = await viewer.pair(code, { name: 'sdk test' });
  assert.equal(await done, 0);
  deviceId = camera.deviceId;
  await agent.run();
});
after(async () => {
  viewer?.close();
  await agent?.stop();
  await relay?.stop();
});

function collectLive(v: Viewer, device: string, stream: string, ms: number) {
  const frames: LiveFrame[] = [];
  const rejected: ViewerError[] = [];
  const subscription = v.watch(device, stream, {
    onFrame: (frame) => frames.push(frame),
    onRejected: (error) => rejected.push(error),
  });
  return new Promise<{ frames: LiveFrame[]; rejected: ViewerError[] }>((resolve) =>
    setTimeout(() => {
      subscription.close();
      resolve({ frames, rejected });
    }, ms),
  );
}

test('pairing: the same safety number on both sides; keys kept in a 0600 file and reloaded', async () => {
  const [camera] = viewer.cameras();
  assert.equal(camera?.access, 'owner');
  const printed = /safety number: ([0-9 ]+)\n/.exec(agent.output.join(''))?.[1]?.trim();
  assert.equal(camera?.safetyNumber, printed);
  assert.equal(statSync(viewerPath).mode & 0o777, 0o600);
  const again = await openNodeViewer(viewerPath);
  assert.equal(again.id, viewer.id);
  assert.deepEqual(
    again.cameras().map((c) => c.deviceId),
    [deviceId],
  );
  again.close();
});

test('live: verified frames from the cached keyframe on; every frame a JPEG', async () => {
  const streams = await until(
    async () => {
      const list = await viewer.streams(deviceId);
      return list.length > 0 ? list : null;
    },
    10_000,
    'a stream',
  );
  assert.equal(streams[0]?.streamId, 'cam-1');
  const live = await collectLive(viewer, deviceId, 'cam-1', 2000);
  assert.deepEqual(live.rejected, []);
  assert.ok(live.frames.length >= 10, `frames: ${live.frames.length}`);
  assert.ok(live.frames[0]?.keyframe, 'the first frame shown is a keyframe');
  assert.ok(live.frames.every((frame) => isJpeg(frame.image)));
});

test('events: paging, record, thumbnail and clip verified; new-event notices', async () => {
  const notices: string[] = [];
  const watching = viewer.watchEvents(deviceId, (notice) => notices.push(notice.eventId));
  try {
    const listed = await until(
      async () => {
        const page = await viewer.events(deviceId, { limit: 1 });
        return page.events.length === 1 && page.next ? page : null;
      },
      30_000,
      'two events (a page of one with a next cursor)',
    );
    const second = await viewer.events(deviceId, { limit: 1, after: listed.next! });
    assert.notEqual(second.events[0]?.eventId, listed.events[0]?.eventId);
    const eventId = listed.events[0]!.eventId;
    const view = await viewer.openEvent(deviceId, eventId);
    assert.equal(view.record.kind, 'motion');
    assert.equal(view.streamId, 'cam-1');
    assert.ok(isJpeg(await viewer.thumbnail(deviceId, eventId)));
    const clip = await viewer.clip(deviceId, eventId);
    assert.equal(clip.length, view.record.clip?.frames);
    assert.ok(clip.every((frame) => isJpeg(frame.image)));
    await until(() => notices.length > 0, 15_000, 'a new-event notice');
  } finally {
    watching.close();
  }
});

test('sharing: an invited viewer sees the camera; after revocation it is refused with a reason', async () => {
  const guest = await openNodeViewer(join(mkdtempSync(join(tmpdir(), 'sealcam-sdk-guest-')), 'viewer.json'));
  try {
    const invite = await viewer.grant(deviceId, guest.shareCode());
    const shared = await guest.acceptInvite(invite, { timeoutMs: 20_000 });
    assert.equal(shared.deviceId, deviceId);
    assert.equal(shared.access, 'viewer');
    const seen = await until(
      async () => {
        const live = await collectLive(guest, deviceId, 'cam-1', 1500);
        return live.frames.length > 0 ? live : null;
      },
      20_000,
      'the guest sees live frames',
    );
    assert.deepEqual(seen.rejected, []);
    const viewers = await viewer.viewersOf(deviceId);
    assert.ok(viewers.some((entry) => entry.viewerId === guest.id && entry.access === 'viewer'));

    await viewer.revoke(deviceId, guest.id);
    const refused = await until(
      async () => {
        const live = await collectLive(guest, deviceId, 'cam-1', 1500);
        return live.frames.length === 0 && live.rejected.length > 0 ? live : null;
      },
      20_000,
      'the guest refused after revocation',
    );
    const reasons = new Set(refused.rejected.map((error) => error.reason));
    assert.ok(
      [...reasons].every((reason) => ['REVOKED', 'NO_GRANT', 'NOT_RECIPIENT', 'STALE'].includes(reason)),
      [...reasons].join(','),
    );
    for (const error of refused.rejected) assert.ok(error.userMessage.length > 0);
  } finally {
    guest.close();
  }
});

test('a viewer not paired with a device gets NOT_PAIRED, and a wrong code fails pairing with a reason', async () => {
  await assert.rejects(viewer.events('aaaaaaaaaaaaaaaaaaaaaaaaaa'), (error: unknown) => {
    assert.ok(error instanceof ViewerError);
    assert.equal(error.reason, 'NOT_PAIRED');
    return true;
  });
  await assert.rejects(viewer.pair('SCP1-NOTACODE'), (error: unknown) => {
    assert.ok(error instanceof ViewerError);
    assert.equal(error.subject, 'pairing');
    return true;
  });
});
