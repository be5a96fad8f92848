import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { manifestHash, openManifest, parseManifest, sealManifest, verifyManifest } from '../src/index.js';
import { NOW, TEN_MINUTES, throwsCode, world } from './fixtures.js';

function epochs(label = 'manifest') {
  const w = world(label);
  const first = sealManifest(
    {
      device: w.device,
      streamId: 'cam-1',
      epoch: 1,
      notBefore: NOW,
      notAfter: NOW + TEN_MINUTES,
      previous: null,
      recipients: [w.owner.card, w.friend.card],
    },
    w.rng,
  );
  const second = sealManifest(
    {
      device: w.device,
      streamId: 'cam-1',
      epoch: 2,
      notBefore: NOW + TEN_MINUTES,
      notAfter: NOW + 2 * TEN_MINUTES,
      previous: first.bytes,
      recipients: [w.owner.card],
    },
    w.rng,
  );
  return { ...w, first, second };
}

describe('key manifest', () => {
  it('every recipient opens the same epoch key; the manifest chains to its predecessor', () => {
    const { device, owner, friend, first, second } = epochs();
    const expect = { device: device.card, streamId: 'cam-1', now: NOW + 1 };
    assert.deepEqual(openManifest(first.bytes, { ...expect, viewer: owner }).epochKey, first.epochKey);
    assert.deepEqual(openManifest(first.bytes, { ...expect, viewer: friend }).epochKey, first.epochKey);
    const parsed = parseManifest(second.bytes);
    assert.deepEqual(parsed.previousHash, manifestHash(first.bytes));
    const opened = openManifest(second.bytes, {
      ...expect,
      viewer: owner,
      now: NOW + TEN_MINUTES + 1,
      previous: { epoch: 1, hash: first.hash },
    });
    assert.deepEqual(opened.epochKey, second.epochKey);
  });

  it('invariant 1: the manifest holds no epoch key in the clear', () => {
    const { first } = epochs();
    const hex = Buffer.from(first.bytes).toString('hex');
    assert.ok(!hex.includes(Buffer.from(first.epochKey).toString('hex')));
  });

  it('invariant 2/7: a viewer not in the manifest cannot open it', () => {
    const { device, stranger, friend, second } = epochs();
    const expect = { device: device.card, streamId: 'cam-1', now: NOW + TEN_MINUTES + 1 };
    throwsCode(() => openManifest(second.bytes, { ...expect, viewer: stranger }), 'NOT_RECIPIENT');
    throwsCode(() => openManifest(second.bytes, { ...expect, viewer: friend }), 'NOT_RECIPIENT');
  });

  it('invariant 6: a manifest presented for another device or stream is refused', () => {
    const { device, otherDevice, owner, first } = epochs();
    throwsCode(
      () =>
        openManifest(first.bytes, { viewer: owner, device: otherDevice.card, streamId: 'cam-1', now: NOW }),
      'WRONG_DEVICE',
    );
    throwsCode(
      () => openManifest(first.bytes, { viewer: owner, device: device.card, streamId: 'cam-2', now: NOW }),
      'WRONG_STREAM',
    );
    throwsCode(() => verifyManifest(first.bytes, otherDevice.card), 'WRONG_DEVICE');
  });

  it('invariant 6: a manifest signed by anyone but the device is refused', () => {
    const { device, otherDevice, owner, rng } = epochs();
    const forged = sealManifest(
      {
        device: { ...otherDevice, card: { ...otherDevice.card, id: device.card.id } },
        streamId: 'cam-1',
        epoch: 9,
        notBefore: NOW,
        notAfter: NOW + TEN_MINUTES,
        previous: null,
        recipients: [owner.card],
      },
      rng,
    );
    throwsCode(
      () => openManifest(forged.bytes, { viewer: owner, device: device.card, streamId: 'cam-1', now: NOW }),
      'BAD_SIGNATURE',
    );
  });

  it('invariant 4: outside its validity window, rolled back, or off-chain, a manifest is refused', () => {
    const { device, owner, first, second } = epochs();
    const base = { viewer: owner, device: device.card, streamId: 'cam-1' };
    throwsCode(() => openManifest(first.bytes, { ...base, now: NOW + 3 * TEN_MINUTES }), 'STALE');
    throwsCode(() => openManifest(first.bytes, { ...base, now: NOW - 3 * TEN_MINUTES }), 'STALE');
    throwsCode(
      () => openManifest(first.bytes, { ...base, now: NOW + 1, previous: { epoch: 2, hash: second.hash } }),
      'STALE',
    );
    throwsCode(
      () =>
        openManifest(second.bytes, {
          ...base,
          now: NOW + TEN_MINUTES,
          previous: { epoch: 1, hash: new Uint8Array(32) },
        }),
      'MALFORMED',
    );
    throwsCode(
      () =>
        openManifest(second.bytes, {
          ...base,
          now: NOW + TEN_MINUTES,
          previous: { epoch: 2, hash: first.hash },
        }),
      'REPLAYED',
    );
  });

  it('refuses duplicate recipients, empty recipient lists and non-increasing epochs when sealing', () => {
    const { device, owner, first, rng } = epochs();
    const input = {
      device,
      streamId: 'cam-1',
      epoch: 5,
      notBefore: NOW,
      notAfter: NOW + 1,
      previous: null,
      recipients: [owner.card, owner.card],
    };
    throwsCode(() => sealManifest(input, rng), 'MALFORMED');
    throwsCode(() => sealManifest({ ...input, recipients: [] }, rng), 'MALFORMED');
    throwsCode(
      () => sealManifest({ ...input, recipients: [owner.card], epoch: 1, previous: first.bytes }, rng),
      'MALFORMED',
    );
    throwsCode(
      () => sealManifest({ ...input, recipients: [owner.card], streamId: 'bad stream' }, rng),
      'MALFORMED',
    );
    // Epochs are consecutive, so a viewer that saw the previous manifest can always check the chain.
    throwsCode(
      () => sealManifest({ ...input, recipients: [owner.card], epoch: 3, previous: first.bytes }, rng),
      'MALFORMED',
    );
  });
});
