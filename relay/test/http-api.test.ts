import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  Access,
  createAuthProof,
  createGrant,
  createPairingOffer,
  createPairRequest,
  createPairResponse,
  formatId,
  fromBase64Url,
  openEvent,
  openPairRequest,
  openPairResponse,
  openThumbnail,
  pairingId,
  parseViewerId,
  ready,
} from '@sealcam/protocol';
import { TokenIssuer } from '../src/auth/tokens.js';
import { authenticate, http, registerViewers } from './support/relay-client.js';
import { type RunningRelay, startInProcessRelay } from './support/relay-process.js';
import { idOf, manifestFor, people, sealedEvent } from './support/world.js';

await ready();
const SECRET = 'a'.repeat(64);

describe('relay HTTP API (memory store)', () => {
  let running: RunningRelay;
  const p = people();
  const tokens: Record<string, string> = {};
  const device = () => `/v1/devices/${idOf(p.device)}`;

  before(async () => {
    running = await startInProcessRelay({ tokenSecret: SECRET });
    for (const [name, identity] of Object.entries(p))
      tokens[name] = await authenticate(running.base, identity);
    await registerViewers(running.base, p.device, tokens.device!, [
      { identity: p.owner, access: Access.Owner },
      { identity: p.friend },
    ]);
  });
  after(async () => running?.stop());

  describe('authentication', () => {
    it('a challenge is single-use', async () => {
      const challenge = await http(running.base, 'POST', '/v1/auth/challenge');
      const { challenge: value, origin } = challenge.json as { challenge: string; origin: string };
      const proof = Buffer.from(createAuthProof(p.owner, origin, fromBase64Url(value))).toString('base64url');
      assert.equal(
        (await http(running.base, 'POST', '/v1/auth/token', { body: { challenge: value, proof } })).status,
        200,
      );
      const again = await http(running.base, 'POST', '/v1/auth/token', { body: { challenge: value, proof } });
      assert.equal(again.status, 401);
      assert.equal(again.json?.error, 'challenge-unknown');
    });

    it('a proof for another relay origin or signed by someone else is refused', async () => {
      const challenge = await http(running.base, 'POST', '/v1/auth/challenge');
      const { challenge: value } = challenge.json as { challenge: string };
      const proof = Buffer.from(
        createAuthProof(p.owner, 'http://evil.example', fromBase64Url(value)),
      ).toString('base64url');
      const result = await http(running.base, 'POST', '/v1/auth/token', {
        body: { challenge: value, proof },
      });
      assert.equal(result.status, 401);
      assert.equal(result.json?.error, 'proof-invalid');
    });

    it('missing, forged and expired tokens get 401 with the reason', async () => {
      assert.equal((await http(running.base, 'GET', `${device()}/streams`)).json?.error, 'missing-token');
      const forged = `${tokens.owner!.slice(0, -4)}AAAA`;
      assert.equal(
        (await http(running.base, 'GET', `${device()}/streams`, { token: forged })).json?.error,
        'token-bad-signature',
      );
      const expired = new TokenIssuer(Buffer.from(SECRET, 'hex'), 1000).issue(
        { role: 'viewer', id: parseViewerId(idOf(p.owner)) },
        Date.now() - 60_000,
      ).token;
      const result = await http(running.base, 'GET', `${device()}/streams`, { token: expired });
      assert.equal(result.status, 401);
      assert.equal(result.json?.error, 'token-expired');
    });
  });

  describe('device uploads and viewer reads', () => {
    const event = () => sealedEvent(p.device, [p.owner, p.friend]);
    let stored: ReturnType<typeof sealedEvent>;

    before(() => {
      stored = event();
    });

    it('stores a sealed event (items first, envelope commits) and serves it to granted viewers', async () => {
      const base = `${device()}/events/${stored.eventId}`;
      assert.equal(
        (
          await http(running.base, 'PUT', `${base}/thumbnail`, {
            token: tokens.device,
            body: stored.thumbnail,
          })
        ).status,
        201,
      );
      for (const [index, chunk] of stored.chunks.entries()) {
        assert.equal(
          (await http(running.base, 'PUT', `${base}/chunks/${index}`, { token: tokens.device, body: chunk }))
            .status,
          201,
        );
      }
      assert.equal(
        (await http(running.base, 'PUT', base, { token: tokens.device, body: stored.envelope })).status,
        201,
      );
      const envelope = await http(running.base, 'GET', base, { token: tokens.friend });
      assert.equal(envelope.status, 200);
      const opened = openEvent(envelope.bytes, { viewer: p.friend, device: p.device.card });
      const thumbnail = await http(running.base, 'GET', `${base}/thumbnail`, { token: tokens.friend });
      assert.match(Buffer.from(openThumbnail(thumbnail.bytes, opened)).toString(), /thumbnail$/);
    });

    it('re-uploads are idempotent and never duplicate; different bytes under a stored name are a 409', async () => {
      const base = `${device()}/events/${stored.eventId}`;
      const again = await http(running.base, 'PUT', base, { token: tokens.device, body: stored.envelope });
      assert.equal(again.status, 200);
      assert.equal(again.json?.status, 'exists');
      const other = event();
      const clash = await http(running.base, 'PUT', `${base}/thumbnail`, {
        token: tokens.device,
        body: (() => {
          const bytes = other.thumbnail.slice();
          bytes.set(stored.eventIdBytes, 18);
          return bytes;
        })(),
      });
      assert.equal(clash.status, 409);
      const list = await http(running.base, 'GET', `${device()}/events`, { token: tokens.owner });
      const events = (list.json as { events: { eventId: string }[] }).events;
      assert.equal(events.filter((e) => e.eventId === stored.eventId).length, 1);
      // The listing states the relay's retention (the default, 7 days), so viewers can show it.
      assert.equal((list.json as { retentionMs: number }).retentionMs, 7 * 86_400_000);
    });

    it("refuses uploads that are not this device's, or whose header disagrees with the URL", async () => {
      const mine = event();
      const wrongDevice = await http(
        running.base,
        'PUT',
        `/v1/devices/${idOf(p.otherDevice)}/events/${mine.eventId}`,
        {
          token: tokens.device,
          body: mine.envelope,
        },
      );
      assert.equal(wrongDevice.status, 403);
      const foreign = sealedEvent(p.otherDevice, [p.owner]);
      const forged = await http(running.base, 'PUT', `${device()}/events/${foreign.eventId}`, {
        token: tokens.device,
        body: foreign.envelope,
      });
      assert.equal(forged.status, 400);
      assert.equal(forged.json?.error, 'invalid-event');
      const moved = await http(running.base, 'PUT', `${device()}/events/${mine.eventId}/chunks/1`, {
        token: tokens.device,
        body: mine.chunks[0]!,
      });
      assert.equal(moved.status, 400);
      assert.equal(moved.json?.error, 'invalid-item');
      const viewerWrites = await http(running.base, 'PUT', `${device()}/events/${mine.eventId}`, {
        token: tokens.owner,
        body: mine.envelope,
      });
      assert.equal(viewerWrites.status, 403);
    });

    it('manifests: verified against the device key, latest served, conflicts refused', async () => {
      const first = manifestFor(p.device, [p.owner, p.friend]);
      const url = `${device()}/streams/cam-1/manifests/1`;
      assert.equal(
        (await http(running.base, 'PUT', url, { token: tokens.device, body: first.bytes })).status,
        201,
      );
      assert.equal(
        (await http(running.base, 'PUT', url, { token: tokens.device, body: first.bytes })).status,
        200,
      );
      const second = manifestFor(p.device, [p.owner]);
      assert.equal(
        (await http(running.base, 'PUT', url, { token: tokens.device, body: second.bytes })).status,
        409,
      );
      const latest = await http(running.base, 'GET', `${device()}/streams/cam-1/manifests/latest`, {
        token: tokens.friend,
      });
      assert.deepEqual(latest.bytes, first.bytes);
      const wrongEpoch = await http(running.base, 'PUT', `${device()}/streams/cam-1/manifests/2`, {
        token: tokens.device,
        body: first.bytes,
      });
      assert.equal(wrongEpoch.status, 400);
      const byOther = manifestFor(p.otherDevice, [p.owner]);
      const forged = await http(running.base, 'PUT', `${device()}/streams/cam-9/manifests/1`, {
        token: tokens.device,
        body: byOther.bytes,
      });
      assert.equal(forged.status, 400);
      const streams = await http(running.base, 'GET', `${device()}/streams`, { token: tokens.owner });
      assert.deepEqual(streams.json, { streams: [{ streamId: 'cam-1', epoch: 1 }] });
    });

    it('access control (second line): a viewer without a grant is refused', async () => {
      for (const path of [
        '/streams',
        '/events',
        `/events/${stored.eventId}`,
        `/events/${stored.eventId}/thumbnail`,
      ]) {
        const result = await http(running.base, 'GET', `${device()}${path}`, { token: tokens.stranger });
        assert.equal(result.status, 403, path);
        assert.equal(result.json?.error, 'no-grant');
      }
      const otherDeviceReads = await http(running.base, 'GET', `${device()}/events`, {
        token: tokens.otherDevice,
      });
      assert.equal(otherDeviceReads.status, 403);
    });

    it('lists by time range with paging', async () => {
      const start = Date.now() + 1_000_000;
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        const e = sealedEvent(p.device, [p.owner], 'cam-2', start + i);
        ids.push(e.eventId);
        assert.equal(
          (
            await http(running.base, 'PUT', `${device()}/events/${e.eventId}`, {
              token: tokens.device,
              body: e.envelope,
            })
          ).status,
          201,
        );
      }
      const seen: string[] = [];
      let after = '';
      for (let page = 0; page < 5; page++) {
        const query = `from=${start}&to=${start + 100}&limit=3${after ? `&after=${after}` : ''}`;
        const result = await http(running.base, 'GET', `${device()}/events?${query}`, {
          token: tokens.owner,
        });
        const body = result.json as { events: { eventId: string }[]; next: string | null };
        seen.push(...body.events.map((e) => e.eventId));
        if (!body.next) break;
        after = body.next;
      }
      assert.deepEqual(seen, ids);
    });

    it('deletes only by the device or its owner', async () => {
      const e = event();
      await http(running.base, 'PUT', `${device()}/events/${e.eventId}`, {
        token: tokens.device,
        body: e.envelope,
      });
      const byFriend = await http(running.base, 'DELETE', `${device()}/events/${e.eventId}`, {
        token: tokens.friend,
      });
      assert.equal(byFriend.status, 403);
      assert.equal(
        (await http(running.base, 'DELETE', `${device()}/events/${e.eventId}`, { token: tokens.owner }))
          .status,
        200,
      );
      assert.equal(
        (await http(running.base, 'GET', `${device()}/events/${e.eventId}`, { token: tokens.owner })).status,
        404,
      );
    });
  });

  describe('pairing and owner statements through the relay', () => {
    it('carries a complete pairing (the relay sees only routing ids)', async () => {
      const offer = createPairingOffer({
        deviceId: p.device.card.id,
        relayUrl: running.base,
        now: Date.now(),
      });
      const request = createPairRequest({ viewer: p.stranger, offer, name: 'tablet', now: Date.now() });
      const pid = formatId(pairingId(offer.secret));
      const posted = await http(running.base, 'POST', `/v1/pairing/${idOf(p.device)}/${pid}/request`, {
        token: tokens.stranger,
        body: request,
      });
      assert.equal(posted.status, 202);
      const waiting = await http(running.base, 'GET', `/v1/pairing/${idOf(p.device)}/${pid}/requests`, {
        token: tokens.device,
      });
      const [message] = (waiting.json as { messages: string[] }).messages;
      const seen = openPairRequest(fromBase64Url(message!), { device: p.device, offer, now: Date.now() });
      const response = createPairResponse({
        device: p.device,
        offer,
        viewer: seen.viewer,
        access: Access.Viewer,
      });
      assert.equal(
        (
          await http(
            running.base,
            'PUT',
            `/v1/pairing/${idOf(p.device)}/${pid}/response/${idOf(p.stranger)}`,
            {
              token: tokens.device,
              body: response,
            },
          )
        ).status,
        202,
      );
      // Another viewer who learned the pairing id cannot take the response.
      const other = await http(running.base, 'GET', `/v1/pairing/${idOf(p.device)}/${pid}/response`, {
        token: tokens.friend,
      });
      assert.equal(other.status, 204);
      const fetched = await http(running.base, 'GET', `/v1/pairing/${idOf(p.device)}/${pid}/response`, {
        token: tokens.stranger,
      });
      const result = openPairResponse(fetched.bytes, { viewer: p.stranger, offer, now: Date.now() });
      assert.deepEqual(result.device.id, p.device.card.id);
      const empty = await http(running.base, 'GET', `/v1/pairing/${idOf(p.device)}/${pid}/response`, {
        token: tokens.stranger,
      });
      assert.equal(empty.status, 204);
    });

    it('the inbox takes owner statements only', async () => {
      const grant = createGrant({
        owner: p.owner,
        deviceId: p.device.card.id,
        grantee: p.stranger.card,
        issuedAt: Date.now(),
      });
      assert.equal(
        (await http(running.base, 'POST', `${device()}/inbox`, { token: tokens.owner, body: grant })).status,
        202,
      );
      assert.equal(
        (await http(running.base, 'POST', `${device()}/inbox`, { token: tokens.friend, body: grant })).status,
        403,
      );
      const junk = await http(running.base, 'POST', `${device()}/inbox`, {
        token: tokens.owner,
        body: new Uint8Array([1, 2, 3]),
      });
      assert.equal(junk.status, 400);
      const taken = await http(running.base, 'GET', `${device()}/inbox`, { token: tokens.device });
      assert.deepEqual((taken.json as { messages: string[] }).messages, [
        Buffer.from(grant).toString('base64url'),
      ]);
    });
  });

  describe('operations', () => {
    it('the admin listener serves detailed health, readiness and metrics', async () => {
      const health = await http(running.adminBase, 'GET', '/healthz');
      assert.equal(health.status, 200);
      assert.equal(health.json?.store, 'memory');
      assert.equal(health.json?.faultInjection, undefined, 'fault injection is off unless enabled');
      const readiness = await http(running.adminBase, 'GET', '/readyz');
      assert.deepEqual(readiness.json, { ready: true, store: true, bus: true, draining: false });
      const metrics = await http(running.adminBase, 'GET', '/metrics');
      for (const name of [
        'sealcam_relay_store_operations_total',
        'sealcam_relay_auth_failures_total',
        'sealcam_relay_frames_in_total',
      ]) {
        assert.ok(metrics.text.includes(name), name);
      }
    });
  });

  // Runs last: every reply of the tests above had a status its route declares (docs/RELAY-API.md).
  it('answered only statuses that the routes declare (and the OpenAPI document lists)', async () => {
    assert.deepEqual(await running.undeclaredReplies(), []);
  });
});
