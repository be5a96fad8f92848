import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RelayReason } from '@sealcam/protocol/relay-safe';
import {
  hintedDelay,
  parseRetrySpread,
  RelayError,
  retryWithBackoff,
  scheduledWait,
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

  const scheduled = (retryAfterMs: number, init: Partial<{ status: number; reason: RelayReason }> = {}) =>
    new RelayError({
      kind: 'refused',
      reason: init.reason ?? 'over-capacity',
      status: init.status ?? 503,
      retryAfterMs,
      retrySpreadMs: 1000,
      message: 'refused',
    });

  it('a return the relay scheduled (Sealcam-Retry-Spread) lands within its spread, not over the window', (t) => {
    const draws = Array.from({ length: 400 }, () => waitForHint(scheduled(3000), 3000, () => 600_000));
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
  });

  it('a schedule counts only on a 503 over-capacity, and is waited 1 s to 600 s whatever the relay says', (t) => {
    t.mock.method(Math, 'random', () => 0);
    assert.equal(scheduledWait(scheduled(0)), 1000, 'Retry-After: 0 is no tight loop');
    assert.equal(scheduledWait(scheduled(3_600_000)), 600_000, 'no scheduled wait past the longest window');
    assert.equal(scheduledWait(scheduled(2000, { status: 429, reason: 'rate-limited' })), null);
    assert.equal(scheduledWait(scheduled(2000, { status: 503, reason: 'draining' })), null);
    assert.equal(scheduledWait(refusal(2000, 'over-capacity')), null, 'no header, no schedule');
  });

  it('scheduled returns replace the growing backoff for eight refusals in a call; after those, backoff again', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    // Every draw at half its range: a scheduled wait is 1.5 s; the backoff's first delay 30 s.
    t.mock.method(Math, 'random', () => 0.5);
    let attempts = 0;
    const stop = new AbortController();
    const retrying = retryWithBackoff(
      async () => {
        attempts++;
        throw scheduled(1000);
      },
      { signal: stop.signal, startingDelayMs: 60_000, maxDelayMs: 60_000, windowMs: () => 3_600_000 },
    );
    const ended = retrying.then(
      () => 'resolved',
      (error: Error) => error.name,
    );
    const settle = async () => {
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    };
    await settle();
    for (let i = 0; i < 8; i++) {
      t.mock.timers.tick(1500);
      await settle();
    }
    assert.equal(attempts, 9, 'the first attempt and eight scheduled returns, 1.5 s apart');
    // The ninth refusal waits its schedule (1.5 s) and then the backoff (30 s).
    t.mock.timers.tick(1500);
    await settle();
    t.mock.timers.tick(28_000);
    await settle();
    assert.equal(attempts, 9, 'the ninth scheduled refusal went to the backoff');
    t.mock.timers.tick(3000);
    await settle();
    assert.equal(attempts, 10);
    // The count is per call, not per backoff step: the tenth refusal is not followed 1.5 s later.
    t.mock.timers.tick(3000);
    await settle();
    assert.equal(attempts, 10, 'scheduled returns started over after a backoff step');
    stop.abort();
    // The backoff's own delay is not abortable: let it pass, then the aborted signal ends the loop.
    t.mock.timers.tick(120_000);
    await settle();
    assert.equal(await ended, 'AbortedError');
  });

  it('Sealcam-Retry-Spread: 1 to 99 whole seconds, more than 60 taken as 60, anything else ignored', () => {
    assert.equal(parseRetrySpread('1'), 1000);
    assert.equal(parseRetrySpread('90'), 60_000);
    for (const bad of [null, undefined, '', '0', '05', '-1', '1.5', 'soon', '100'])
      assert.equal(parseRetrySpread(bad), null, String(bad));
  });
});
