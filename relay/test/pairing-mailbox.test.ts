import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  createIdentity,
  createPairingOffer,
  createPairRequest,
  formatId,
  Kind,
  PROTOCOL_VERSION,
  pairingId,
  parseDeviceId,
  Role,
  ready,
} from '@sealcam/protocol';
import { requireProgram } from '@sealcam/testkit/programs';
import { MAILBOX_LIMITS } from '../src/routes/mailbox-bounds.js';
import { postFrom } from './support/post-from.js';
import { authenticate, http } from './support/relay-client.js';
import { relayOnStore } from './support/relay-on-store.js';
import { idOf } from './support/world.js';

await ready();
requireProgram('redis-server');

/** A pairing request as a stranger can make one: valid routing ids, then filler up to `size` bytes. */
function junkRequest(
  deviceId: Uint8Array,
  pid: Uint8Array,
  size: number = MAILBOX_LIMITS.messageBytes,
): Uint8Array {
  const bytes = randomBytes(size);
  bytes[0] = PROTOCOL_VERSION;
  bytes[1] = Kind.PairRequest;
  bytes.set(deviceId, 2);
  bytes.set(pid, 18);
  return new Uint8Array(bytes);
}

for (const store of ['memory', 'redis'] as const) {
  describe(`pairing mailboxes under a flood (${store} store)`, () => {
    const relay = relayOnStore(store, { requestsPerSecond: 100_000, challengesPerSecondPerSource: 100_000 });

    const path = (deviceId: string, pid: string) => `/v1/pairing/${deviceId}/${pid}/request`;

    it("the device's polled pairing id gets its request through a flood of random pairing ids, and the device holds at most its byte bound", async () => {
      const device = createIdentity(Role.Device);
      const deviceToken = await authenticate(relay().base, device);
      const offer = createPairingOffer({ deviceId: device.card.id, relayUrl: relay().base, now: Date.now() });
      const pid = formatId(pairingId(offer.secret));
      // The device shows its code and starts polling its own pairing id.
      const first = await http(relay().base, 'GET', `/v1/pairing/${idOf(device)}/${pid}/requests`, {
        token: deviceToken,
      });
      assert.deepEqual(first.json, { messages: [] });
      const honest = createIdentity(Role.Viewer);
      const honestToken = await authenticate(relay().base, honest);
      const request = createPairRequest({ viewer: honest, offer, name: 'phone', now: Date.now() });
      // Attackers: fresh identities (each within its own sender budget) on their own addresses.
      const junkIds: string[] = [];
      const flood = async (rounds: number, from: number) => {
        const statuses: number[] = [];
        for (let a = 0; a < rounds; a++) {
          const attacker = await authenticate(relay().base, createIdentity(Role.Viewer));
          const perViewer = MAILBOX_LIMITS.senderBytes / MAILBOX_LIMITS.messageBytes;
          for (let i = 0; i < perViewer; i++) {
            const junk = randomBytes(16);
            junkIds.push(formatId(junk));
            const sent = await postFrom(
              relay().base,
              `127.0.0.${from + a}`,
              path(idOf(device), formatId(junk)),
              attacker,
              junkRequest(device.card.id, junk),
            );
            statuses.push(sent.status);
          }
        }
        return statuses;
      };
      assert.deepEqual(new Set(await flood(3, 10)), new Set([202]));
      const posted = await http(relay().base, 'POST', path(idOf(device), pid), {
        token: honestToken,
        body: request,
      });
      assert.equal(posted.status, 202);
      assert.deepEqual(new Set(await flood(3, 20)), new Set([202]), 'the flood is never refused: it evicts');
      const taken = await http(relay().base, 'GET', `/v1/pairing/${idOf(device)}/${pid}/requests`, {
        token: deviceToken,
      });
      const messages = (taken.json as { messages: string[] }).messages;
      assert.deepEqual(messages, [Buffer.from(request).toString('base64url')], 'the honest request survived');
      // What the flood left: at most the device's bound, however much it sent (48 x 4 KiB).
      const deviceId = parseDeviceId(idOf(device));
      let bytes = 0;
      let count = 0;
      for (const junk of junkIds) {
        for (const message of await relay().relay.context.store.takeMailbox(
          `pairing:${deviceId}:${junk}`,
          Date.now(),
        )) {
          bytes += message.byteLength;
          count++;
        }
      }
      assert.ok(count > 0, 'the newest flood requests are kept');
      assert.ok(bytes <= MAILBOX_LIMITS.groupBytes, `${bytes} bytes kept of ${junkIds.length * 4096}`);
      assert.ok(count <= MAILBOX_LIMITS.groupMessages);
    });

    it('answers 202 for an unknown device as for a known one, and stores nothing for it', async () => {
      const viewer = await authenticate(relay().base, createIdentity(Role.Viewer));
      const ghost = createIdentity(Role.Device);
      const pid = randomBytes(16);
      const posted = await http(relay().base, 'POST', path(idOf(ghost), formatId(pid)), {
        token: viewer,
        body: junkRequest(ghost.card.id, pid, 200),
      });
      assert.equal(posted.status, 202);
      assert.deepEqual(posted.json, { status: 'queued' });
      const box = `pairing:${parseDeviceId(idOf(ghost))}:${formatId(pid)}`;
      assert.deepEqual(await relay().relay.context.store.takeMailbox(box, Date.now()), [], 'nothing stored');
    });

    it('refuses a viewer beyond its sender budget with 429 mailbox-full, for known and unknown devices alike', async () => {
      const viewer = await authenticate(relay().base, createIdentity(Role.Viewer));
      const known = createIdentity(Role.Device);
      await authenticate(relay().base, known);
      const ghost = createIdentity(Role.Device);
      const budget = MAILBOX_LIMITS.senderBytes / MAILBOX_LIMITS.messageBytes;
      const statuses: number[] = [];
      for (let i = 0; i < budget + 2; i++) {
        const target = i % 2 ? known : ghost;
        const pid = randomBytes(16);
        const sent = await postFrom(
          relay().base,
          '127.0.0.40',
          path(idOf(target), formatId(pid)),
          viewer,
          junkRequest(target.card.id, pid),
        );
        statuses.push(sent.status);
        if (sent.status === 429) assert.equal(sent.json?.error, 'mailbox-full');
      }
      assert.deepEqual(statuses, [...Array(budget).fill(202), 429, 429]);
    });

    it('refuses one source address beyond its budget across identities; another address still gets through', async () => {
      const device = createIdentity(Role.Device);
      await authenticate(relay().base, device);
      const perViewer = MAILBOX_LIMITS.senderBytes / MAILBOX_LIMITS.messageBytes;
      const perSource = MAILBOX_LIMITS.sourceBytes / MAILBOX_LIMITS.messageBytes;
      let accepted = 0;
      let refused = 0;
      for (let a = 0; refused === 0 && a < perSource / perViewer + 2; a++) {
        const attacker = await authenticate(relay().base, createIdentity(Role.Viewer));
        for (let i = 0; i < perViewer; i++) {
          const pid = randomBytes(16);
          const sent = await postFrom(
            relay().base,
            '127.0.0.50',
            path(idOf(device), formatId(pid)),
            attacker,
            junkRequest(device.card.id, pid),
          );
          if (sent.status === 202) accepted++;
          else if (sent.status === 429) refused++;
          else assert.fail(`unexpected status ${sent.status}`);
        }
      }
      assert.equal(accepted, perSource, 'exactly the source budget was accepted');
      assert.ok(refused > 0);
      const other = await authenticate(relay().base, createIdentity(Role.Viewer));
      const pid = randomBytes(16);
      const sent = await postFrom(
        relay().base,
        '127.0.0.51',
        path(idOf(device), formatId(pid)),
        other,
        junkRequest(device.card.id, pid),
      );
      assert.equal(sent.status, 202);
    });
  });
}
