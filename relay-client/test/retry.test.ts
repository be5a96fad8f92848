import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hintedDelay, RelayError, retryWithBackoff } from '@sealcam/relay-client';

const refusal = (retryAfterMs: number) =>
  new RelayError({ kind: 'refused', reason: 'over-capacity', status: 503, retryAfterMs, message: 'busy' });

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

  it('retryWithBackoff spreads a hinted refusal over the window it is given', async () => {
    let attempts = 0;
    const stop = new AbortController();
    const retrying = retryWithBackoff(
      async () => {
        attempts++;
        throw refusal(1);
      },
      {
        signal: stop.signal,
        startingDelayMs: 1,
        maxDelayMs: 2,
        // An hour: the second attempt would come within the first 2 s with odds below 1 in a million.
        windowMs: () => 3_600_000,
      },
    );
    await new Promise((resolve) => setTimeout(resolve, 2000));
    stop.abort();
    await assert.rejects(retrying);
    assert.equal(attempts, 1, 'retried before the window spread the wait');
  });

  it('without a window, the same refusal is retried after about the hint', async () => {
    let attempts = 0;
    const result = await retryWithBackoff(
      async () => {
        attempts++;
        if (attempts < 3) throw refusal(1);
        return 'done';
      },
      { signal: AbortSignal.timeout(60_000), startingDelayMs: 1, maxDelayMs: 2 },
    );
    assert.equal(result, 'done');
    assert.equal(attempts, 3);
  });
});
