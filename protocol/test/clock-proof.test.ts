import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CLOCK_PROOF_MAX_BYTES,
  clockProofBytes,
  createClockProof,
  decodeLiveMessage,
  encodeLiveMessage,
  LIMITS,
  openClockProof,
  parseClockProof,
  WireType,
} from '../src/index.js';
import { flip, NOW, throwsCode, world } from './fixtures.js';

const w = world('clock proof');
const nonce = (fill: number) => new Uint8Array(16).fill(fill);

describe('clock proofs (§6.8)', () => {
  it('opens to the signed device time for any of the nonces it answers', () => {
    const proof = createClockProof({ device: w.device, time: NOW, nonces: [nonce(1), nonce(2), nonce(3)] });
    assert.equal(proof.length, clockProofBytes(3));
    for (const fill of [1, 2, 3])
      assert.equal(openClockProof(proof, { device: w.device.card, nonce: nonce(fill) }), NOW);
  });

  it('an answer to another question is REPLAYED, before any signature is checked', () => {
    const proof = createClockProof({ device: w.device, time: NOW, nonces: [nonce(1)] });
    throwsCode(() => openClockProof(proof, { device: w.device.card, nonce: nonce(9) }), 'REPLAYED');
    // Even with a broken signature: others' answers are dropped for the price of a comparison.
    const broken = flip(proof, proof.length - 1);
    throwsCode(() => openClockProof(broken, { device: w.device.card, nonce: nonce(9) }), 'REPLAYED');
  });

  it('refuses another device, a changed time, a changed nonce list and a bad signature', () => {
    const proof = createClockProof({ device: w.device, time: NOW, nonces: [nonce(1)] });
    throwsCode(() => openClockProof(proof, { device: w.otherDevice.card, nonce: nonce(1) }), 'WRONG_DEVICE');
    const later = proof.slice();
    later[25]! ^= 0x10; // the time's last byte: 16 ms later
    throwsCode(() => openClockProof(later, { device: w.device.card, nonce: nonce(1) }), 'BAD_SIGNATURE');
    // Another nonce put in the list (the relay answering a question the device never saw).
    const two = createClockProof({ device: w.device, time: NOW, nonces: [nonce(1), nonce(2)] });
    const swapped = two.slice();
    swapped.set(nonce(5), 27 + 16);
    throwsCode(() => openClockProof(swapped, { device: w.device.card, nonce: nonce(5) }), 'BAD_SIGNATURE');
    const forged = createClockProof({ device: w.otherDevice, time: NOW, nonces: [nonce(1)] });
    forged.set(w.device.card.id, 2);
    throwsCode(() => openClockProof(forged, { device: w.device.card, nonce: nonce(1) }), 'BAD_SIGNATURE');
  });

  it('layout: 1…32 nonces of 16 bytes, nothing after the signature', () => {
    throwsCode(() => createClockProof({ device: w.device, time: NOW, nonces: [] }), 'MALFORMED');
    const tooMany = Array.from({ length: LIMITS.clockNonces + 1 }, (_, i) => nonce(i));
    throwsCode(() => createClockProof({ device: w.device, time: NOW, nonces: tooMany }), 'MALFORMED');
    throwsCode(
      () => createClockProof({ device: w.device, time: NOW, nonces: [new Uint8Array(15)] }),
      'MALFORMED',
    );
    const full = createClockProof({ device: w.device, time: NOW, nonces: tooMany.slice(1) });
    assert.equal(full.length, CLOCK_PROOF_MAX_BYTES);
    assert.equal(parseClockProof(full).nonces.length, LIMITS.clockNonces);
    const proof = createClockProof({ device: w.device, time: NOW, nonces: [nonce(1)] });
    throwsCode(() => parseClockProof(proof.subarray(0, proof.length - 1)), 'TRUNCATED');
    throwsCode(() => parseClockProof(Uint8Array.of(...proof, 0)), 'MALFORMED');
    const zero = proof.slice();
    zero[26] = 0;
    throwsCode(() => parseClockProof(zero), 'MALFORMED');
    const wrongKind = proof.slice();
    wrongKind[1] = 0x05;
    throwsCode(() => parseClockProof(wrongKind), 'WRONG_KIND');
  });

  it('travels as a LiveClock message (type 0x03) on the live WebSocket', () => {
    const proof = createClockProof({ device: w.device, time: NOW, nonces: [nonce(1)] });
    const wire = encodeLiveMessage({
      type: WireType.LiveClock,
      deviceId: w.device.card.id,
      streamId: 'cam1',
      payload: proof,
    });
    const decoded = decodeLiveMessage(wire);
    assert.equal(decoded.type, WireType.LiveClock);
    assert.deepEqual([...decoded.payload], [...proof]);
  });
});
