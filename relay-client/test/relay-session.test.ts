import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createIdentity, Role, ready } from '@sealcam/protocol';
import { RelayError, RelaySession, retryWithBackoff } from '@sealcam/relay-client';
import { type TestRelay as RelayUnderTest, startRelay } from '@sealcam/testkit/relay';

await ready();

describe('RelaySession against a real relay', () => {
  let relay: RelayUnderTest;
  before(async () => {
    relay = await startRelay();
  });
  after(() => relay.stop());

  it('authenticates once for many requests, concurrent and sequential', async () => {
    const session = new RelaySession(relay.base, createIdentity(Role.Device));
    const inbox = `/v1/devices/${session.id}/inbox`;
    await Promise.all(Array.from({ length: 5 }, () => session.request('GET', inbox)));
    for (let i = 0; i < 3; i++) {
      const answer = (await session.request('GET', inbox)).json<{ messages: unknown[] }>();
      assert.deepEqual(answer.messages, []);
    }
    assert.equal(session.authentications, 1);
  });

  it('renews the token before it expires (by its own clock), then uses the new one', async () => {
    let clock = Date.now();
    const session = new RelaySession(relay.base, createIdentity(Role.Device), { now: () => clock });
    const inbox = `/v1/devices/${session.id}/inbox`;
    await session.request('GET', inbox);
    const first = await session.bearer();
    assert.equal(session.authentications, 1);
    // The relay's default token lifetime is 900 s: 850 s later the token is within the 60 s margin.
    clock += 850_000;
    await session.request('GET', inbox);
    assert.equal(session.authentications, 2);
    // The new token runs from the relay's now: back on the real clock, it is reused.
    clock = Date.now();
    assert.notEqual(await session.bearer(), first);
    await session.request('GET', inbox);
    assert.equal(session.authentications, 2);
  });

  it('gives typed errors with the reasons the relay sent (403 no-grant, 404 not-found), not retried', async () => {
    const device = new RelaySession(relay.base, createIdentity(Role.Device));
    await device.bearer();
    const viewer = new RelaySession(relay.base, createIdentity(Role.Viewer));
    const noGrant = await viewer.request('GET', `/v1/devices/${device.id}/streams`).then(
      () => assert.fail('a viewer without a grant listed the streams'),
      (error: unknown) => error,
    );
    assert.ok(noGrant instanceof RelayError);
    assert.equal(noGrant.kind, 'refused');
    assert.equal(noGrant.status, 403);
    assert.equal(noGrant.reason, 'no-grant');
    assert.equal(noGrant.transient, false);
    assert.equal(noGrant.needsReauth, false);

    const missing = await device.request('GET', `/v1/devices/${device.id}/streams/cam-1/keyframe`).then(
      () => assert.fail('a keyframe that was never sent was served'),
      (error: unknown) => error,
    );
    assert.ok(missing instanceof RelayError);
    assert.equal(missing.status, 404);
    assert.equal(missing.reason, 'not-found');
    assert.equal(missing.transient, false);
    // Refusals are not failures of authentication: one login served all four requests.
    assert.equal(device.authentications + viewer.authentications, 2);
  });

  it('accepts statuses it is told to allow, with their body', async () => {
    const device = new RelaySession(relay.base, createIdentity(Role.Device));
    const response = await device.request(
      'GET',
      `/v1/devices/${device.id}/streams/cam-1/keyframe`,
      undefined,
      [404],
    );
    assert.equal(response.status, 404);
    assert.equal(response.json<{ error: string }>().error, 'not-found');
  });

  it('fetch hands over the raw answer of any status, authenticated, without throwing', async () => {
    const device = new RelaySession(relay.base, createIdentity(Role.Device));
    const inbox = await device.fetch('GET', `/v1/devices/${device.id}/inbox`);
    assert.equal(inbox.status, 200);
    assert.deepEqual(((await inbox.json()) as { messages: unknown[] }).messages, []);
    const missing = await device.fetch('GET', `/v1/devices/${device.id}/streams/cam-1/keyframe`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: string }).error, 'not-found');
    assert.equal(device.authentications, 1);
  });
});

describe('RelaySession when the relay forgets it', () => {
  it('authenticates again, once, when the relay refuses its token (401), and the request succeeds', async () => {
    const first = await startRelay();
    const session = new RelaySession(first.base, createIdentity(Role.Device));
    const inbox = `/v1/devices/${session.id}/inbox`;
    // The same, for a session that reads raw answers.
    const raw = new RelaySession(first.base, createIdentity(Role.Device));
    try {
      await session.request('GET', inbox);
      assert.equal(session.authentications, 1);
      assert.equal((await raw.fetch('GET', `/v1/devices/${raw.id}/inbox`)).status, 200);
      assert.equal(raw.authentications, 1);
    } finally {
      await first.stop();
    }
    // A new relay process on the same origin: a new token key, no card: the old token is refused.
    const second = await startRelay({}, first.port);
    try {
      const stale = await session.bearer();
      const direct = await fetch(`${second.base}${inbox}`, { headers: { authorization: `Bearer ${stale}` } });
      assert.equal(direct.status, 401, 'the old token still works: the test proves nothing');
      await direct.arrayBuffer();
      const answer = (await session.request('GET', inbox)).json<{ messages: unknown[] }>();
      assert.deepEqual(answer.messages, []);
      assert.equal(session.authentications, 2);
      const rawAnswer = await raw.fetch('GET', `/v1/devices/${raw.id}/inbox`);
      assert.equal(rawAnswer.status, 200);
      assert.deepEqual(((await rawAnswer.json()) as { messages: unknown[] }).messages, []);
      assert.equal(raw.authentications, 2);
    } finally {
      await second.stop();
    }
  });

  it('reports an unreachable relay as a transient error', async () => {
    const gone = await startRelay();
    await gone.stop();
    const session = new RelaySession(gone.base, createIdentity(Role.Device), { timeoutMs: 10_000 });
    const error = await session.bearer().then(
      () => assert.fail('authenticated with a stopped relay'),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof RelayError);
    assert.equal(error.kind, 'unreachable');
    assert.equal(error.transient, true);
  });
});

describe('retry with backoff against a rate-limiting relay', () => {
  it("waits at least the relay's Retry-After before the next attempt, then succeeds", async () => {
    const relay = await startRelay({ SEALCAM_REQUESTS_PER_SECOND: '1' });
    try {
      const session = new RelaySession(relay.base, createIdentity(Role.Device));
      const inbox = `/v1/devices/${session.id}/inbox`;
      const attempts: { at: number; error: RelayError | null }[] = [];
      // Spend the identity's burst until the relay says 429, then retry at once; on a slow machine the
      // bucket may have refilled before the first retry, so try a few rounds until one was refused.
      for (let round = 0; round < 5 && !attempts.some((attempt) => attempt.error); round++) {
        attempts.length = 0;
        let limited: RelayError | null = null;
        for (let i = 0; i < 50 && !limited; i++) {
          await session.request('GET', inbox).catch((error: unknown) => {
            if (!(error instanceof RelayError)) throw error;
            limited = error;
          });
        }
        assert.ok(limited, 'the relay never rate-limited');
        const refusal = limited as RelayError;
        assert.equal(refusal.status, 429);
        assert.equal(refusal.reason, 'rate-limited');
        assert.equal(refusal.transient, true);
        assert.ok(
          refusal.retryAfterMs !== null && refusal.retryAfterMs >= 1000,
          String(refusal.retryAfterMs),
        );
        await retryWithBackoff(
          async () => {
            const at = performance.now();
            try {
              const response = await session.request('GET', inbox);
              attempts.push({ at, error: null });
              return response;
            } catch (error) {
              attempts.push({ at, error: error as RelayError });
              throw error;
            }
          },
          // A tiny backoff: any wait of a second or more comes from the relay's hint.
          { signal: AbortSignal.timeout(120_000), startingDelayMs: 1, maxDelayMs: 2 },
        );
      }
      assert.ok(
        attempts.some((attempt) => attempt.error),
        'no retry was ever refused: Retry-After untested',
      );
      assert.equal(attempts.at(-1)?.error, null);
      for (const [index, attempt] of attempts.entries()) {
        const next = attempts[index + 1];
        if (!attempt.error || !next) continue;
        assert.equal(attempt.error.reason, 'rate-limited');
        assert.ok(
          next.at - attempt.at >= attempt.error.retryAfterMs!,
          `retried after ${next.at - attempt.at} ms, told ${attempt.error.retryAfterMs} ms`,
        );
      }
    } finally {
      await relay.stop();
    }
  });
});
