import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseErrorBody, RelayClose } from '@sealcam/protocol/relay-safe';
import { RelayError } from '@sealcam/relay-client';

/** A refusal as the session builds it from an HTTP answer: the body's reason goes through the registry. */
function refusal(status: number, body: unknown): RelayError {
  const { reason } = parseErrorBody(body);
  return new RelayError({ kind: 'refused', status, reason, message: `HTTP ${status}` });
}

describe('RelayError retryability (PROTOCOL.md §16.3)', () => {
  it('no reason with a 503: the status carries only retryable reasons, so it is transient', () => {
    const error = refusal(503, '<html>proxy says unavailable</html>');
    assert.equal(error.reason, null);
    assert.equal(error.transient, true);
  });

  it('an unknown reason with a 503 acts on the status alone: transient', () => {
    const error = refusal(503, { error: 'a-reason-from-a-later-version', message: 'later' });
    assert.equal(error.reason, null);
    assert.equal(error.transient, true);
  });

  it('no reason with a 400: the status carries only final reasons, so it is final', () => {
    const error = refusal(400, 'bad request');
    assert.equal(error.reason, null);
    assert.equal(error.transient, false);
  });

  it('a status no registered reason travels with decides by its class: 502 transient, 418 final', () => {
    assert.equal(refusal(502, '').transient, true);
    assert.equal(refusal(418, '').transient, false);
  });

  it('a known reason overrides the status, either way', () => {
    const final = refusal(503, { error: 'invalid-request', message: 'odd proxy' });
    assert.equal(final.reason, 'invalid-request');
    assert.equal(final.transient, false);
    const retryable = refusal(400, { error: 'rate-limited', message: 'slow down' });
    assert.equal(retryable.reason, 'rate-limited');
    assert.equal(retryable.transient, true);
  });

  it('a close without a reason acts on its code: 4503 transient, 4403 final', () => {
    const close = (code: number) => new RelayError({ kind: 'closed', closeCode: code, message: 'closed' });
    assert.equal(close(RelayClose.OverCapacity).transient, true);
    assert.equal(close(RelayClose.Forbidden).transient, false);
  });

  it('asks for a new token on a 401 without a reason or with a token reason, not on a bad proof', () => {
    assert.equal(refusal(401, '').needsReauth, true);
    assert.equal(refusal(401, { error: 'token-expired', message: '' }).needsReauth, true);
    assert.equal(refusal(401, { error: 'proof-invalid', message: '' }).needsReauth, false);
  });
});
