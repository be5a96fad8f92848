import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  addPairedViewer,
  createIdentity,
  createRevocation,
  formatId,
  ID_TEXT_SOURCE,
  type Identity,
  parseStreamId,
  Role,
  ready,
  toBase64Url,
} from '@sealcam/protocol';
import { RelaySession } from '@sealcam/relay-client';
import { until } from '@sealcam/testkit/poll';
import { Agent } from '../src/agent.js';
import { loadConfig } from '../src/config.js';
import { Uploader } from '../src/delivery/uploader.js';
import { silentLogger } from '../src/log.js';
import { Outbox } from '../src/outbox/outbox.js';
import { LiveConnection } from '../src/relay/live-connection.js';
import { processInbox } from '../src/sharing/inbox.js';
import { revokeLocally } from '../src/sharing/local-revoke.js';
import { createDeviceIdentity } from '../src/state/identity-store.js';
import { statePaths } from '../src/state/paths.js';
import { loadViewerState, updateViewerState } from '../src/state/viewers-store.js';
import { startFakeRelay } from './support/fake-relay.js';

before(async () => {
  await ready();
});

const stopAfter: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const stop of stopAfter.reverse()) await stop();
});

function stateDir(): string {
  return mkdtempSync(join(tmpdir(), 'sealcam-failure-'));
}

async function deviceWithViewers(count: number) {
  const paths = statePaths(stateDir());
  const device = await createDeviceIdentity(paths);
  const viewers: Identity[] = Array.from({ length: count }, () => createIdentity(Role.Viewer));
  await updateViewerState(paths, device.card.id, (state) => {
    let list = state.list;
    for (const viewer of viewers) list = addPairedViewer(list, viewer.card, Date.now() - 60_000);
    return { ...state, list };
  });
  return { paths, device, viewers };
}

test('a relay (or proxy) refusing uploads with 413 never costs an event: all are kept and delivered later', async () => {
  let refusals = 6;
  // The outbox depth at each refusal, taken when the relay refuses (not by a poll that may come
  // after the first upload went through).
  const depthAtRefusal: number[] = [];
  const relay = await startFakeRelay({
    http: (request) => {
      if (request.method !== 'PUT') return undefined;
      if (refusals > 0) {
        refusals--;
        depthAtRefusal.push(outbox.depth);
        return { status: 413, body: { error: 'too-large', message: 'proxy body limit' } };
      }
      return { status: 201, body: { status: 'stored' } };
    },
  });
  stopAfter.push(relay.stop);
  const outbox = await Outbox.open(join(stateDir(), 'outbox'), { maxBytes: 1 << 20, logger: silentLogger });
  for (let i = 0; i < 3; i++)
    await outbox.put({
      eventId: new Uint8Array(16).fill(i + 1),
      streamId: parseStreamId('cam'),
      createdAt: 1000 + i,
      thumbnail: new Uint8Array(100),
      chunks: [new Uint8Array(200)],
      envelope: new Uint8Array(50),
    });
  const device = createIdentity(Role.Device);
  const uploader = new Uploader(
    new RelaySession(relay.base, device),
    outbox,
    silentLogger,
    { startingDelayMs: 20, maxDelayMs: 50 },
    { first: 300, max: 600 },
  );
  uploader.start();
  try {
    await until(() => refusals === 0, 60_000, 'the refusals');
    assert.deepEqual(depthAtRefusal, [3, 3, 3, 3, 3, 3], 'nothing deleted while the relay refuses');
    // The uploader counts an event once its removal from the outbox finished, just after the depth
    // dropped: wait for both.
    await until(
      () => outbox.depth === 0 && uploader.uploaded >= 3,
      60_000,
      'every event delivered after the refusals stop',
    );
    assert.equal(uploader.uploaded, 3);
    const envelopes = relay.requests.filter((r) =>
      new RegExp(`^PUT /v1/devices/${ID_TEXT_SOURCE}/events/${ID_TEXT_SOURCE}$`).test(r),
    );
    assert.ok(envelopes.length >= 3);
  } finally {
    await uploader.stop();
    await outbox.close();
  }
});

test('a 404 at the WebSocket upgrade does not end live streaming: the agent reconnects', async () => {
  const relay = await startFakeRelay({ upgrade: (attempt) => (attempt < 2 ? 404 : 101) });
  stopAfter.push(relay.stop);
  const live = new LiveConnection(
    new RelaySession(relay.base, createIdentity(Role.Device)),
    { onOpen: () => undefined, onControl: () => undefined },
    silentLogger,
    { startingDelayMs: 20, maxDelayMs: 100 },
  );
  live.start();
  try {
    await until(() => live.state === 'connected', 60_000, 'connected after two refused upgrades');
    assert.equal(relay.upgrades, 3);
  } finally {
    await live.stop();
  }
});

test('an owner revocation taken from the inbox survives a failure to apply it, and is applied next time', async () => {
  const { paths, device, viewers } = await deviceWithViewers(2);
  const [owner, guest] = viewers as [Identity, Identity];
  const revocation = createRevocation({
    owner,
    deviceId: device.card.id,
    viewerId: guest.card.id,
    issuedAt: Date.now(),
  });
  let served = false;
  const relay = await startFakeRelay({
    http: (request) => {
      if (request.method !== 'GET' || !request.url?.endsWith('/inbox')) return undefined;
      const messages = served ? [] : [toBase64Url(revocation)];
      served = true;
      return { status: 200, body: { messages } };
    },
  });
  stopAfter.push(relay.stop);
  const session = new RelaySession(relay.base, device);
  const good = readFileSync(paths.viewers, 'utf8');
  writeFileSync(paths.viewers, '{ broken');
  await assert.rejects(processInbox(session, paths, device, new Set(), silentLogger), /unreadable/);
  writeFileSync(paths.viewers, good);
  const result = await processInbox(session, paths, device, new Set(), silentLogger);
  assert.equal(result.applied, 1, 'the revocation taken before the failure is applied');
  const state = await loadViewerState(paths, device.card.id);
  assert.deepEqual(
    state.list.viewers.map((v) => formatId(v.card.id)),
    [formatId(owner.card.id)],
  );
});

test('a relay stalling the access-list upload does not delay a revocation: the new epoch comes while the upload still hangs', async () => {
  const { paths, viewers } = await deviceWithViewers(2);
  const relay = await startFakeRelay({
    http: (request) => {
      if (request.url?.endsWith('/access-list')) return 'hang';
      if (request.url?.endsWith('/inbox')) return { status: 200, body: { messages: [] } };
      return undefined;
    },
  });
  stopAfter.push(relay.stop);
  const config = loadConfig({ stateDir: paths.root, relayUrl: relay.base, env: {} });
  const agent = await Agent.start(
    {
      ...config,
      cameras: [{ id: 'cam', source: 'synthetic', width: 64, height: 36, fps: 5, events: false }],
    },
    silentLogger,
  );
  try {
    await until(() => agent.status().relay.state === 'connected', 60_000, 'connected');
    // The first access-list upload hangs (the relay never answers; the agent gives up after 30 s).
    await until(() => relay.stalled > 0, 60_000, 'the access-list upload to stall');
    const before = agent.status().cameras[0]!.epoch!;
    await updateViewerState(paths, agent.identity.card.id, (state) => ({
      ...state,
      list: revokeLocally(state.list, formatId(viewers[1]!.card.id), Date.now()),
    }));
    // Order, not a stopwatch: the rotation must not wait for the stalled upload to end.
    const after = await until(
      () => {
        const epoch = agent.status().cameras[0]!.epoch!;
        return epoch > before ? { epoch, stalled: relay.stalled, abandoned: relay.abandoned } : null;
      },
      60_000,
      'the new epoch',
    );
    assert.equal(after.abandoned, 0, 'the new epoch came only after the agent gave up the stalled upload');
    assert.ok(after.stalled > 0, 'the access-list upload was still hanging at the new epoch');
  } finally {
    await agent.stop();
  }
});
