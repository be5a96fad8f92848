import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { nodeWebSocket } from '../src/node/index.js';
import { MemoryKeyStore, Viewer, ViewerError } from '../src/sdk/index.js';
import { isJpeg } from './support/jpeg.js';
import {
  createAgent,
  startRelay,
  type TestAgent,
  type TestRelay,
  testCamera,
  until,
} from './support/world.js';

/**
 * A relay with the fault seam on misroutes lookups and live frames between two homes, as in the
 * incidents. Ground truth: home A's camera is "cam-a", home B's is "cam-b". Whatever the relay
 * serves, a viewer only ever accepts its own camera's content; everything else is refused with a
 * reason a UI can show.
 */
let relay: TestRelay;
const homes: { agent: TestAgent; viewer: Viewer; deviceId: string; stream: string }[] = [];

before(async () => {
  relay = await startRelay({ SEALCAM_FAULT_INJECTION: 'mixup', SEALCAM_FAULT_RATE: '0.5' });
  for (const stream of ['cam-a', 'cam-b']) {
    const agent = createAgent(relay.base, [testCamera(stream)]);
    const viewer = await Viewer.open({ store: new MemoryKeyStore(), WebSocket: nodeWebSocket });
    const { code } = await agent.pairingCode();
    const camera = await viewer.pair(code);
    await agent.run();
    homes.push({ agent, viewer, deviceId: camera.deviceId, stream });
  }
});
after(async () => {
  for (const home of homes) {
    home.viewer.close();
    await home.agent.stop();
  }
  await relay?.stop();
});

test('a mixed-up relay: misdelivered thumbnails, records and frames are refused, own ones shown', async () => {
  const outcomes = { accepted: 0, rejected: new Map<string, number>() };
  const reject = (error: unknown) => {
    if (!(error instanceof ViewerError)) throw error;
    outcomes.rejected.set(error.reason, (outcomes.rejected.get(error.reason) ?? 0) + 1);
    assert.ok(error.userMessage.length > 0);
  };
  for (const home of homes) {
    await until(async () => (await home.viewer.events(home.deviceId)).events.length >= 2, 30_000, 'events');
  }
  for (let round = 0; round < 6; round++) {
    for (const home of homes) {
      let listed: { eventId: string }[] = [];
      try {
        listed = (await home.viewer.events(home.deviceId)).events;
      } catch (error) {
        reject(error);
      }
      for (const { eventId } of listed.slice(0, 3)) {
        try {
          const view = await home.viewer.openEvent(home.deviceId, eventId);
          assert.equal(view.streamId, home.stream, 'an accepted record is always from the own camera');
          const thumbnail = await home.viewer.thumbnail(home.deviceId, eventId);
          assert.ok(isJpeg(thumbnail));
          outcomes.accepted++;
        } catch (error) {
          reject(error);
        }
      }
    }
  }
  for (const home of homes) {
    const frames: number[] = [];
    const subscription = home.viewer.watch(home.deviceId, home.stream, {
      onFrame: (frame) => frames.push(frame.counter),
      onRejected: reject,
    });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    subscription.close();
    assert.ok(frames.length > 0, 'own frames still arrive and open');
  }
  assert.ok(outcomes.accepted > 0, 'own content is shown');
  const reasons = [...outcomes.rejected.keys()];
  assert.ok(reasons.length > 0, 'the mixed-up relay did misdeliver, and it was refused');
  console.log(
    `mixup: accepted ${outcomes.accepted}, rejected ${JSON.stringify(Object.fromEntries(outcomes.rejected))}`,
  );
});
