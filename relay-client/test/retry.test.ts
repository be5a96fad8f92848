import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RelayReason } from '@sealcam/protocol/relay-safe';
import {
  hintedDelay,
  parseRetrySpread,
  RelayError,
  retryWithBackoff,
  spreadsOverWindow,
  waitForHint,
} from '@sealcam/relay-client';

const refusal = (retryAfterMs: number, reason: RelayReason) =>
  new RelayError({
    kind: 'refused',
    reason,
    status: reason === 'rate-limited' ? 429 : 503,
    retryAfterMs,
    message: 'refused',
  });

/** Attempts `retryWithBackoff` made within `ms` when every attempt is refused so. */
async function attemptsWithin(ms: number, refused: RelayError, windowMs: number): Promise<number> {
  let attempts = 0;
  const stop = new AbortController();
  const retrying = retryWithBackoff(
    async () => {
      attempts++;
      throw refused;
    },
    { signal: stop.signal, startingDelayMs: 1, maxDelayMs: 2, windowMs: () => windowMs },
  );
  await new Promise((resolve) => setTimeout(resolve, ms));
  stop.abort();
  await assert.rejects(retrying);
  return attempts;
}

describe('a relay hint spread over the reconnect window', () => {
  it('waits the hint plus up to the longer of the hint and the window', () => {
    const draws = Array.from({ length: 400 }, () => hintedDelay(1000, 20_000));
    assert.ok(
      draws.every((ms) => ms >= 1000 && ms <= 21_000),
      `out of [1000, 21000]: ${draws.find((ms) => ms < 1000 || ms > 21_000)}`,
    );
    // Spread over the window, not over the hint alone (400 draws all under 2 s: odds 0.05^400).
    assert.ok(
      draws.some((ms) => ms > 2000),
      'every wait stayed within twice the hint',
    );
    const withoutWindow = Array.from({ length: 400 }, () => hintedDelay(1000));
    assert.ok(withoutWindow.every((ms) => ms >= 1000 && ms <= 2000));
  });

  it("only the relay's own refusals spread: over-capacity, draining, store-unavailable; not rate-limited", () => {
    for (const reason of ['over-capacity', 'draining', 'store-unavailable'] as const)
      assert.equal(spreadsOverWindow(reason), true, reason);
    for (const reason of ['rate-limited', 'token-expired', null] as const)
      assert.equal(spreadsOverWindow(reason), false, String(reason));
  });

  it('retryWithBackoff spreads an over-capacity refusal over the window, a rate-limited one only over its hint', async (t) => {
    // The random part of each wait is half its range: over-capacity waits 1 + 0.5 × 3,600,000 ms.
    t.mock.method(Math, 'random', () => 0.5);
    assert.equal(
      await attemptsWithin(500, refusal(1, 'over-capacity'), 3_600_000),
      1,
      'retried before the window spread the wait',
    );
    // rate-limited waits 1 + 0.5 × 1 ms (then the tiny backoff): more than one attempt within 2 s.
    const rateLimited = await attemptsWithin(2000, refusal(1, 'rate-limited'), 3_600_000);
    assert.ok(rateLimited > 1, `a rate-limited refusal waited for the window (${rateLimited} attempt)`);
  });

  it('without a window, hinted refusals are retried until an attempt succeeds', async () => {
    let attempts = 0;
    const result = await retryWithBackoff(
      async () => {
        attempts++;
        if (attempts < 3) throw refusal(1, 'over-capacity');
        return 'done';
      },
      { signal: AbortSignal.timeout(60_000), startingDelayMs: 1, maxDelayMs: 2 },
    );
    assert.equal(result, 'done');
    assert.equal(attempts, 3);
  });

  it('a return the relay scheduled (Sealcam-Retry-Spread) lands within its spread, not over the window', async (t) => {
    const scheduled = new RelayError({
      kind: 'refused',
      reason: 'over-capacity',
      status: 503,
      retryAfterMs: 3000,
      retrySpreadMs: 1000,
      message: 'refused',
    });
    const draws = Array.from({ length: 400 }, () => waitForHint(scheduled, 3000, () => 600_000));
    assert.ok(
      draws.every((ms) => ms >= 3000 && ms <= 4000),
      `out of [3000, 4000]: ${draws.find((ms) => ms < 3000 || ms > 4000)}`,
    );
    // Without the header the same refusal spreads over the window (the draw at 0.5 of its range).
    t.mock.method(Math, 'random', () => 0.5);
    assert.equal(
      waitForHint(refusal(3000, 'over-capacity'), 3000, () => 600_000),
      303_000,
    );
    // retryWithBackoff follows it: a scheduled 1 ms return is retried at once despite an hour's window.
    const fast = new RelayError({ ...scheduled, retryAfterMs: 1, retrySpreadMs: 1, message: 'refused' });
    assert.ok((await attemptsWithin(2000, fast, 3_600_000)) > 1, 'a scheduled return waited for the window');
  });

  it('Sealcam-Retry-Spread: whole seconds up to 60, anything else ignored', () => {
    assert.equal(parseRetrySpread('1'), 1000);
    assert.equal(parseRetrySpread('90'), 60_000);
    for (const bad of [null, undefined, '', '-1', '1.5', 'soon', '100'])
      assert.equal(parseRetrySpread(bad), null, String(bad));
  });

  it('a scheduled return replaces the growing backoff (it does not add to it), eight in a row at most', async (t) => {
    // Every draw at half its range: the backoff would wait 0.5 × 60 s before a second attempt.
    t.mock.method(Math, 'random', () => 0.5);
    const scheduled = new RelayError({
      kind: 'refused',
      reason: 'over-capacity',
      status: 503,
      retryAfterMs: 1,
      retrySpreadMs: 1,
      message: 'refused',
    });
    let attempts = 0;
    const stop = new AbortController();
    const retrying = retryWithBackoff(
      async () => {
        attempts++;
        throw scheduled;
      },
      { signal: stop.signal, startingDelayMs: 60_000, maxDelayMs: 60_000, windowMs: () => 3_600_000 },
    );
    // The first attempt and eight scheduled returns come at once; then the backoff's 30 s.
    const until = Date.now() + 20_000;
    while (attempts < 9 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
    await new Promise((resolve) => setTimeout(resolve, 500));
    stop.abort();
    await assert.rejects(retrying);
    assert.equal(attempts, 9);
  });
});
