import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { createIdentity, decodeViewerControl, Role, ready } from '@sealcam/protocol';
import { LiveSessionKeeper, RENEW_FROM, RENEW_TO, RelaySession, SessionRenewal } from '@sealcam/relay-client';
import { startRelay, type TestRelay } from '@sealcam/testkit/relay';

await ready();

const flush = () => new Promise((resolve) => setImmediate(resolve));

/** A session whose authentications the test answers: each fresh() is a pending promise it settles. */
function scriptedSession() {
  const asked: { resolve: (token: string) => void; reject: (error: Error) => void }[] = [];
  const session = {
    fresh: () =>
      new Promise<{ token: string; expiresAt: number }>((resolve, reject) => {
        asked.push({ resolve: (token) => resolve({ token, expiresAt: 0 }), reject });
      }),
  } as unknown as RelaySession;
  return { session, asked };
}

describe('SessionRenewal schedules renewals inside the lifetime (mocked clock)', () => {
  const NOW = 1_000_000;
  let clock = NOW;
  beforeEach(() => {
    clock = NOW;
    mock.timers.enable({ apis: ['setTimeout'] });
  });
  afterEach(() => mock.timers.reset());
  const tick = async (ms: number) => {
    clock += ms;
    mock.timers.tick(ms);
    await flush();
  };

  for (const random of [0, 0.5, 0.999]) {
    it(`renews at ${RENEW_FROM}–${RENEW_TO} of the time left (random ${random}), then again after the answer`, async () => {
      const { session, asked } = scriptedSession();
      const sent: string[] = [];
      const renewal = new SessionRenewal(session, (text) => void sent.push(text), {
        now: () => clock,
        random: () => random,
      });
      renewal.start(NOW + 100_000);
      const due = 100_000 * (RENEW_FROM + (RENEW_TO - RENEW_FROM) * random);
      await tick(due - 1);
      assert.equal(asked.length, 0, 'not before its point');
      await tick(1);
      assert.equal(asked.length, 1, 'authenticates at its point');
      asked[0]!.resolve('v1.fresh.token');
      await flush();
      assert.deepEqual(
        sent.map((text) => decodeViewerControl(text)),
        [{ op: 'renew', token: 'v1.fresh.token' }],
      );
      renewal.renewed(clock + 100_000);
      await tick(100_000 * RENEW_TO);
      assert.equal(asked.length, 2, 'the next renewal follows the new expiry');
      renewal.stop();
    });
  }

  it('a failed authentication is tried again before the expiry; stop() ends it all', async () => {
    const { session, asked } = scriptedSession();
    const sent: string[] = [];
    const renewal = new SessionRenewal(session, (text) => void sent.push(text), {
      now: () => clock,
      random: () => 0,
    });
    renewal.start(NOW + 100_000);
    await tick(100_000 * RENEW_FROM);
    asked[0]!.reject(new Error('503 over-capacity'));
    await flush();
    // Left: 50 s; the retry comes within 10% × 1.5 of it (at least 5 s), well before the expiry.
    await tick(7_500);
    assert.equal(asked.length, 2, 'tried again');
    renewal.stop();
    asked[1]!.resolve('v1.late.token');
    await flush();
    await tick(100_000);
    assert.equal(sent.length, 0, 'nothing sent after stop()');
    assert.equal(asked.length, 2);
  });
});

describe('RelaySession.fresh against a real relay', () => {
  let relay: TestRelay;
  it('authenticates anew though the token held is valid, and keeps the new token', async () => {
    relay = await startRelay();
    try {
      const session = new RelaySession(relay.base, createIdentity(Role.Viewer));
      await session.bearer();
      assert.equal(session.authentications, 1);
      const renewed = await session.fresh();
      assert.equal(session.authentications, 2, 'a second authentication');
      assert.equal(await session.bearer(), renewed.token);
      assert.equal(session.expiresAt, renewed.expiresAt);
      assert.ok(renewed.expiresAt > Date.now());
    } finally {
      await relay.stop();
    }
  });
});

describe('LiveSessionKeeper', () => {
  it("takes the relay's session messages (reconnect window, renewed) and leaves every other to the caller", () => {
    const keeper = new LiveSessionKeeper(scriptedSession().session);
    assert.equal(keeper.reconnectWindowMs, 1000, 'a second until the relay says otherwise');
    assert.equal(keeper.take({ op: 'reconnect', seconds: 20 }), true);
    assert.equal(keeper.reconnectWindowMs, 20_000);
    assert.equal(keeper.take({ op: 'renewed', expiresAt: 1 }), true, 'taken even with no connection open');
    for (const other of [
      { op: 'pong' },
      { op: 'mailbox', box: 'inbox' },
      { op: 'demand', seconds: 30 },
      { op: 'error', reason: 'no-grant' },
    ] as const)
      assert.equal(keeper.take(other), false, other.op);
    keeper.closed();
  });
});
