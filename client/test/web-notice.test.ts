import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ViewerError } from '../src/sdk/index.js';
import {
  describeError,
  isNotSharedWithYou,
  isVerificationFailure,
  pairingTimedOut,
} from '../web/src/notice.js';

test('content that does not verify is the alarm, with the SDK sentence', () => {
  const error = new ViewerError('WRONG_DEVICE', 'thumbnail', 'moved from another camera');
  assert.deepEqual(describeError(error), {
    kind: 'verification',
    message: 'This thumbnail is not from your camera.',
    reason: 'WRONG_DEVICE',
  });
  assert.ok(isVerificationFailure(error));
  for (const reason of ['BAD_SIGNATURE', 'DECRYPT_FAILED', 'REPLAYED', 'STALE', 'WRONG_EVENT'] as const)
    assert.ok(isVerificationFailure(new ViewerError(reason, 'frame')), reason);
});

test('relay refusals and unreachability are availability notices, not alarms', () => {
  for (const reason of ['NO_GRANT', 'REVOKED', 'UNREACHABLE', 'RELAY_ERROR', 'NOT_PAIRED'] as const) {
    const error = new ViewerError(reason, 'relay');
    assert.equal(describeError(error).kind, 'availability', reason);
    assert.ok(!isVerificationFailure(error), reason);
  }
});

test("the camera's own signed record or manifest without a key for this viewer is not an alarm", () => {
  const event = new ViewerError('NOT_RECIPIENT', 'event');
  assert.ok(isNotSharedWithYou(event));
  assert.ok(!isVerificationFailure(event));
  assert.equal(describeError(event).kind, 'availability');
  assert.ok(isNotSharedWithYou(new ViewerError('NOT_RECIPIENT', 'manifest')));
  // A frame without a key may be another camera's frame, misdelivered: it stays an alarm.
  const frame = new ViewerError('NOT_RECIPIENT', 'frame');
  assert.ok(!isNotSharedWithYou(frame));
  assert.ok(isVerificationFailure(frame));
});

test('pairing timeouts are told apart from key mismatches', () => {
  assert.ok(pairingTimedOut(new ViewerError('TIMEOUT', 'pairing', 'the camera did not answer in time')));
  assert.ok(!pairingTimedOut(new ViewerError('PAIRING_FAILED', 'pairing')));
  assert.ok(isVerificationFailure(new ViewerError('PAIRING_FAILED', 'pairing')));
});

test('anything else is an internal error with a generic sentence', () => {
  const notice = describeError(new TypeError('x is undefined'));
  assert.equal(notice.kind, 'error');
  assert.equal(notice.reason, 'INTERNAL');
  assert.doesNotMatch(notice.message, /undefined/);
});
