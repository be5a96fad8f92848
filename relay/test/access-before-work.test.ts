import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Access, createAccessList, createIdentity, type Identity, Role, ready } from '@sealcam/protocol';
import { authenticate, http } from './support/relay-client.js';
import { type RunningRelay, startInProcessRelay } from './support/relay-process.js';
import { idOf } from './support/world.js';

await ready();

const CACHE_MAX_BYTES = 65_536;
const DEVICES = 120;

async function verifications(running: RunningRelay): Promise<{ card: number; list: number }> {
  const { values } = await running.relay.context.metrics.verifications.get();
  const of = (kind: string) => values.find((sample) => sample.labels.kind === kind)?.value ?? 0;
  return { card: of('card'), list: of('access-list') };
}

/** A full (1,024-entry) access list naming `listed` among strangers' ids. */
function fullList(device: Identity, listed: Identity | null): Uint8Array {
  const entries: { viewerId: Uint8Array; access: Access }[] = Array.from({ length: 1024 }, () => ({
    viewerId: new Uint8Array(randomBytes(16)),
    access: Access.Viewer,
  }));
  if (listed) entries[700] = { viewerId: listed.card.id, access: Access.Viewer };
  return createAccessList({ device, version: 1, issuedAt: Date.now(), entries });
}

describe('access before work: an unlisted viewer makes the relay verify and keep nothing', () => {
  let running: RunningRelay;
  const listed = createIdentity(Role.Viewer);
  const unlisted = createIdentity(Role.Viewer);
  const devices = Array.from({ length: DEVICES }, () => createIdentity(Role.Device));

  before(async () => {
    running = await startInProcessRelay({
      cacheMaxBytes: CACHE_MAX_BYTES,
      challengesPerSecondPerSource: 10_000,
      handshakeRate: 10_000,
      requestsPerSecond: 10_000,
    });
    for (const [index, device] of devices.entries()) {
      const token = await authenticate(running.base, device);
      const put = await http(running.base, 'PUT', `/v1/devices/${idOf(device)}/access-list`, {
        token,
        body: fullList(device, index === 0 ? listed : null),
      });
      assert.equal(put.status, 201, put.text);
    }
  });
  after(async () => running?.stop());

  const cacheBytes = () => running.relay.context.metrics.observed.verifiedCacheBytes();

  it(`${DEVICES} devices with full access lists: the verified cache stays within cacheMaxBytes`, () => {
    // 120 cards would take more than the budget: the cache is full, and evicts instead of growing.
    assert.ok(cacheBytes() > CACHE_MAX_BYTES / 2, `cache ${cacheBytes()} bytes: the cards were cached`);
    assert.ok(cacheBytes() <= CACHE_MAX_BYTES, `cache ${cacheBytes()} bytes`);
  });

  it('an unlisted viewer reading every device card and list is refused without one verification', async () => {
    const token = await authenticate(running.base, unlisted);
    const before = await verifications(running);
    for (const device of devices) {
      for (const what of ['card', 'access-list']) {
        const read = await http(running.base, 'GET', `/v1/devices/${idOf(device)}/${what}`, { token });
        assert.equal(read.status, 403);
        assert.equal(read.json?.error, 'no-grant');
      }
    }
    assert.deepEqual(await verifications(running), before);
    assert.ok(cacheBytes() <= CACHE_MAX_BYTES, `cache ${cacheBytes()} bytes`);
  });

  it('an identity that logs in again is not verified again: its card (same bytes) comes from the cache', async () => {
    const returning = createIdentity(Role.Device);
    const before = await verifications(running);
    await authenticate(running.base, returning);
    const first = await verifications(running);
    assert.equal(first.card, before.card + 1, 'the first login verified the card');
    await authenticate(running.base, returning);
    assert.deepEqual(await verifications(running), first, 'the second login verified no card');
  });

  it('a listed viewer makes the relay verify the list once; later reads use the cached verdict', async () => {
    const token = await authenticate(running.base, listed);
    const before = await verifications(running);
    const path = `/v1/devices/${idOf(devices[0]!)}/card`;
    assert.equal((await http(running.base, 'GET', path, { token })).status, 200);
    const first = await verifications(running);
    assert.equal(first.list, before.list + 1, 'the list verified for the listed viewer');
    assert.equal((await http(running.base, 'GET', path, { token })).status, 200);
    assert.deepEqual(await verifications(running), first, 'the second read verifies nothing');
    // The same list, another device's card: still refused for the listed viewer elsewhere.
    const elsewhere = await http(running.base, 'GET', `/v1/devices/${idOf(devices[1]!)}/card`, { token });
    assert.equal(elsewhere.status, 403);
    assert.ok(cacheBytes() <= CACHE_MAX_BYTES, `cache ${cacheBytes()} bytes`);
  });
});
