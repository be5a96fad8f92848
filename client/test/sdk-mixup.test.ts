import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fromBase64Url, importIdentity, parseCard } from '@sealcam/protocol';
import { createAgent, type TestAgent } from '@sealcam/testkit/agent';
import { CAMERA_COLOURS, colouredCamera, type Rgb, whosePicture } from '@sealcam/testkit/coloured-camera';
import { until } from '@sealcam/testkit/poll';
import { startRelay, type TestRelay } from '@sealcam/testkit/relay';
import { nodeWebSocket } from '../src/node/index.js';
import {
  type DeviceId,
  type LiveFrame,
  MemoryKeyStore,
  parseStreamId,
  Viewer,
  ViewerError,
} from '../src/sdk/index.js';
import { isJpeg } from './support/jpeg.js';
import { LiveTruth, objectDevice, type TruthHome } from './support/provenance.js';
import { type RelayFront, startRelayFront } from './support/relay-front.js';

/**
 * A relay with the fault seam on misroutes lookups and live frames between two homes, as in the
 * incidents. Ground truth: home A's camera is "cam-a" and all its pictures are red, home B's is
 * "cam-b" and blue. Each viewer reaches the relay through a front that forwards under its own
 * session and records exactly what it was served, so the test knows which camera made each object
 * (public headers; for live frames, which camera's key opens them). Whatever the relay serves, a
 * viewer only ever accepts its own camera's pictures; the other home's objects were served and
 * refused with a reason a UI can show.
 */
interface Home {
  readonly agent: TestAgent;
  readonly stream: string;
  readonly colour: Rgb;
  deviceId: DeviceId;
  viewer: Viewer;
  front: RelayFront;
  truth: TruthHome;
}

let relay: TestRelay;
const homes: Home[] = [];
const COLOURS: Record<string, Rgb> = { 'cam-a': CAMERA_COLOURS[0]!, 'cam-b': CAMERA_COLOURS[1]! };

before(async () => {
  relay = await startRelay({ SEALCAM_FAULT_INJECTION: 'mixup', SEALCAM_FAULT_RATE: '0.5' });
  for (const [stream, colour] of Object.entries(COLOURS)) {
    const agent = createAgent(relay.base, [await colouredCamera(stream, colour)]);
    const store = new MemoryKeyStore();
    const pairing = await Viewer.open({ store, WebSocket: nodeWebSocket });
    const { code } = await agent.pairingCode();
    const camera = await pairing.pair(code);
    pairing.close();
    await agent.run();
    // The same viewer state, its camera reached through a recording front under its own session.
    const state = (await store.load())!;
    const front = await startRelayFront(relay.base, importIdentity(fromBase64Url(state.identity)));
    const redirected = new MemoryKeyStore();
    await redirected.save({ ...state, cameras: state.cameras.map((c) => ({ ...c, relayUrl: front.base })) });
    const viewer = await Viewer.open({ store: redirected, WebSocket: nodeWebSocket });
    const truth: TruthHome = {
      deviceId: camera.deviceId,
      streamId: stream,
      viewer: viewer.identity,
      device: parseCard(fromBase64Url(state.cameras[0]!.card)),
    };
    homes.push({ agent, stream, colour, deviceId: camera.deviceId, viewer, front, truth });
  }
});
after(async () => {
  for (const home of homes) {
    home.viewer.close();
    await home.front.close();
    await home.agent.stop();
  }
  await relay?.stop();
});

test('a mixed-up relay: the other camera objects and frames were served and refused; every accepted picture is of the own camera', async () => {
  const rejected = new Map<string, number>();
  const reject = (error: unknown) => {
    if (!(error instanceof ViewerError)) throw error;
    rejected.set(error.reason, (rejected.get(error.reason) ?? 0) + 1);
    assert.ok(error.userMessage.length > 0);
  };
  const counts = { records: 0, thumbnails: 0, clips: 0, picturesChecked: 0, foreignServed: 0 };
  const isForeign = (home: Home, object: { status: number; bytes: Uint8Array }) => {
    if (object.status !== 200) return false;
    const maker = objectDevice(object.bytes);
    return maker !== null && maker !== home.deviceId;
  };
  /**
   * One SDK call. Objects served during it are the call's: if any was another camera's, the call must
   * have been refused; if it succeeded, everything it was served was its own camera's.
   */
  async function call<T>(home: Home, work: () => Promise<T>): Promise<T | null> {
    const mark = home.front.served.length;
    let result: T | null = null;
    try {
      result = await work();
    } catch (error) {
      reject(error);
    }
    const foreign = home.front.served.slice(mark).filter((object) => isForeign(home, object));
    counts.foreignServed += foreign.length;
    if (result !== null)
      assert.deepEqual(
        foreign.map((object) => object.path),
        [],
        'content accepted in a call that was served another camera object',
      );
    return result;
  }
  async function assertOwnPicture(home: Home, jpeg: Uint8Array, what: string) {
    assert.ok(isJpeg(jpeg), what);
    assert.equal(await whosePicture(jpeg, COLOURS), home.stream, `${home.stream}: ${what} of another camera`);
    counts.picturesChecked++;
  }

  for (const home of homes) {
    await until(
      async () => (await home.viewer.events(home.deviceId)).events.length >= 2,
      90_000,
      `events of ${home.stream}`,
    );
  }
  // At least six rounds, and on (a bounded number) until records, thumbnails and clips were each
  // accepted and the other camera's objects served: the seam misroutes at random.
  const enough = () =>
    counts.records > 0 && counts.thumbnails > 0 && counts.clips > 0 && counts.foreignServed > 0;
  for (let round = 0; round < 6 || (round < 60 && !enough()); round++) {
    for (const home of homes) {
      const listed = (await call(home, () => home.viewer.events(home.deviceId)))?.events ?? [];
      for (const { eventId } of listed.slice(0, 3)) {
        const view = await call(home, () => home.viewer.openEvent(home.deviceId, eventId));
        if (view) {
          assert.equal(view.streamId, home.stream, 'an accepted record is always from the own camera');
          counts.records++;
        }
        const thumbnail = await call(home, () => home.viewer.thumbnail(home.deviceId, eventId));
        if (thumbnail) {
          await assertOwnPicture(home, thumbnail, 'thumbnail');
          counts.thumbnails++;
        }
        const clip = await call(home, () => home.viewer.clip(home.deviceId, eventId));
        if (clip) {
          assert.ok(clip.length > 0);
          for (const frame of clip) await assertOwnPicture(home, frame.image, 'clip frame');
          counts.clips++;
        }
      }
    }
  }

  // Live: both homes watch at once (the fan-out hands frames of one stream to the other's viewers),
  // until each has opened frames and the other camera's frames were served to them.
  const truth = new LiveTruth(homes.map((home) => home.truth));
  const shown = new Map<Home, LiveFrame[]>(homes.map((home) => [home, []]));
  const subscriptions = homes.map((home) =>
    home.viewer.watch(home.deviceId, parseStreamId(home.stream), {
      onFrame: (frame) => shown.get(home)!.push(frame),
      onRejected: reject,
    }),
  );
  const foreignFrames = () => {
    truth.learn(homes.flatMap((home) => home.front.live));
    return homes.map((home) => {
      const bySealer = truth.framesBySealer(home.front.live);
      const other = homes.find((h) => h !== home)!;
      return { own: bySealer.get(home.deviceId) ?? 0, foreign: bySealer.get(other.deviceId) ?? 0 };
    });
  };
  try {
    await until(
      () =>
        homes.every((home) => shown.get(home)!.length >= 5) &&
        foreignFrames().reduce((sum, served) => sum + served.foreign, 0) > 0,
      90_000,
      'own frames opened and the other camera frames served',
    );
  } finally {
    for (const subscription of subscriptions) subscription.close();
  }
  const served = foreignFrames();
  for (const [index, home] of homes.entries()) {
    const frames = shown.get(home)!;
    for (const frame of frames) await assertOwnPicture(home, frame.data, 'live frame');
    assert.ok(
      frames.length <= served[index]!.own,
      'no more frames shown than the own camera sealed and was served',
    );
  }

  const liveForeign = served.reduce((sum, s) => sum + s.foreign, 0);
  assert.ok(counts.records > 0 && counts.thumbnails > 0 && counts.clips > 0, 'own events are shown');
  assert.ok(counts.foreignServed > 0, 'the mixed-up relay served the other camera objects');
  assert.ok(liveForeign > 0, 'the mixed-up relay served the other camera frames');
  assert.ok(rejected.size > 0, 'and they were refused');
  console.log(
    `mixup: accepted ${counts.records} records, ${counts.thumbnails} thumbnails, ${counts.clips} clips (${counts.picturesChecked} pictures, all own); served foreign: ${counts.foreignServed} objects, ${liveForeign} live frames (own ${served.map((s) => s.own)}); rejected ${JSON.stringify(Object.fromEntries(rejected))}`,
  );
});
