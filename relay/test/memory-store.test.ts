import { MemoryStore } from '../src/store/memory-store.js';
import { runStoreConformance } from './store-conformance.js';

runStoreConformance('memory', async ({ maxBytes }) => ({
  store: new MemoryStore({ maxBytes }),
  cleanup: async () => {},
}));

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDeviceId, parseEventId, parseStreamId } from '@sealcam/protocol/relay-safe';

describe('memory store bounds (from the security review)', () => {
  const retention = { ttlMs: 3_600_000, quotaBytes: 1e12 };
  it('keyframes never evict committed events; a nearly full store refuses new objects instead of evicting', async () => {
    const store = new MemoryStore({ maxBytes: 4 * 1024 * 1024 });
    const device = parseDeviceId('cccccccccccccccccccccccccc');
    const event = parseEventId('dddddddddddddddddddddddddd');
    assert.equal(
      await store.putEventItem(device, event, 'thumbnail', new Uint8Array(100_000), 0, retention),
      'created',
    );
    assert.equal(
      await store.commitEvent(
        device,
        event,
        { streamId: parseStreamId('s'), time: 0 },
        new Uint8Array(1000),
        0,
        retention,
      ),
      'created',
    );
    for (let i = 0; i < 100; i++)
      await store.putKeyframe(device, parseStreamId(`junk-${i}`), new Uint8Array(200_000), 0, retention);
    assert.ok(await store.getEvent(device, event), 'the committed event survived the keyframe flood');
    assert.ok(await store.getEventItem(device, event, 'thumbnail'));
    let result = 'created';
    for (let i = 0; i < 100 && result === 'created'; i++) {
      result = await store.putEventItem(device, event, `chunk-${i}`, new Uint8Array(300_000), 0, retention);
    }
    assert.equal(result, 'quota', 'the one device storing is refused beyond its fair share');
    assert.ok(await store.getEvent(device, event), 'nothing committed was evicted to make room');
  });

  it('owner statements in an inbox survive a flood of other mailboxes', async () => {
    const store = new MemoryStore({ maxBytes: 1024 * 1024, maxRecords: 100 });
    assert.equal(
      await store.pushMailbox(
        'inbox:device',
        new Uint8Array([1]),
        { ttlMs: 600_000, maxMessages: 64, maxBytes: Number.POSITIVE_INFINITY },
        Date.now(),
      ),
      'queued',
    );
    for (let i = 0; i < 500; i++)
      await store.pushMailbox(
        `pairing:x:${i}`,
        new Uint8Array([2]),
        { ttlMs: 600_000, maxMessages: 4, maxBytes: Number.POSITIVE_INFINITY },
        Date.now(),
      );
    assert.deepEqual(await store.takeMailbox('inbox:device', Date.now()), [new Uint8Array([1])]);
  });
});
