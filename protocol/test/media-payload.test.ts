import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LIMITS } from '../src/constants.js';
import { decodeMediaPayload, encodeMediaPayload, MEDIA_PAYLOAD_HEADER_BYTES } from '../src/media-payload.js';
import { throwsCode } from './fixtures.js';

describe('media payload (PROTOCOL.md §6.7)', () => {
  it('round-trips the capture time and the unit unchanged, 8 bytes of header', () => {
    const unit = Uint8Array.from([0, 0, 0, 1, 9, 0xf0, 0, 0, 1, 0x65, 0x88]);
    const bytes = encodeMediaPayload({ capturedAtUs: 2 ** 53 - 1, unit });
    assert.equal(bytes.length, MEDIA_PAYLOAD_HEADER_BYTES + unit.length);
    const decoded = decodeMediaPayload(bytes);
    assert.equal(decoded.capturedAtUs, 2 ** 53 - 1);
    assert.deepEqual(decoded.unit, unit);
  });

  it('refuses to encode a negative, fractional or unsafe time, an empty unit and a unit too large for a frame', () => {
    const unit = new Uint8Array(1);
    for (const capturedAtUs of [-1, 1.5, 2 ** 53, Number.NaN])
      throwsCode(() => encodeMediaPayload({ capturedAtUs, unit }), 'MALFORMED');
    throwsCode(() => encodeMediaPayload({ capturedAtUs: 0, unit: new Uint8Array(0) }), 'MALFORMED');
    const tooLarge = new Uint8Array(LIMITS.framePayloadBytes - MEDIA_PAYLOAD_HEADER_BYTES + 1);
    throwsCode(() => encodeMediaPayload({ capturedAtUs: 0, unit: tooLarge }), 'MALFORMED');
    const largest = new Uint8Array(LIMITS.framePayloadBytes - MEDIA_PAYLOAD_HEADER_BYTES);
    assert.equal(encodeMediaPayload({ capturedAtUs: 0, unit: largest }).length, LIMITS.framePayloadBytes);
  });
});
