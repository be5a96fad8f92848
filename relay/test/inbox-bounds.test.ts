import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  Access,
  createIdentity,
  type Identity,
  Kind,
  PROTOCOL_VERSION,
  Role,
  ready,
} from '@sealcam/protocol';
import { requireProgram } from '@sealcam/testkit/programs';
import { MAILBOX_LIMITS } from '../src/routes/mailbox-bounds.js';
import { postFrom } from './support/post-from.js';
import { authenticate, http, registerViewers } from './support/relay-client.js';
import { relayOnStore } from './support/relay-on-store.js';
import { idOf } from './support/world.js';

await ready();
requireProgram('redis-server');

/** A message the inbox route accepts (it checks the version and kind; the device verifies the rest). */
function statement(size: number = MAILBOX_LIMITS.messageBytes): Uint8Array {
  const bytes = randomBytes(size);
  bytes[0] = PROTOCOL_VERSION;
  bytes[1] = Kind.Grant;
  return new Uint8Array(bytes);
}

/** The 4 KiB messages one inbox holds (64 KiB). */
const PER_INBOX = 16;
const PER_OWNER = MAILBOX_LIMITS.inboxOwnerBytes / MAILBOX_LIMITS.messageBytes;
const PER_SOURCE = MAILBOX_LIMITS.inboxSourceBytes / MAILBOX_LIMITS.messageBytes;

for (const store of ['memory', 'redis'] as const) {
  describe(`owner inboxes under a flood (${store} store)`, () => {
    const relay = relayOnStore(store, { requestsPerSecond: 100_000, challengesPerSecondPerSource: 100_000 });

    /** A self-made device that lists the owners as its owners. */
    async function ownedDevice(owners: Identity[]): Promise<Identity> {
      const device = createIdentity(Role.Device);
      const token = await authenticate(relay().base, device);
      await registerViewers(
        relay().base,
        device,
        token,
        owners.map((identity) => ({ identity, access: Access.Owner })),
      );
      return device;
    }

    /** Fills inboxes of fresh devices of `owners` from `source` until refused; the statuses in order. */
    async function flood(owners: Identity[], tokens: string[], source: string, posts: number) {
      const statuses: number[] = [];
      const errors = new Set<unknown>();
      let device = await ownedDevice(owners);
      for (let i = 0; i < posts; i++) {
        if (i > 0 && i % PER_INBOX === 0) device = await ownedDevice(owners);
        const token = tokens[Math.floor(i / PER_OWNER) % tokens.length]!;
        const sent = await postFrom(
          relay().base,
          source,
          `/v1/devices/${idOf(device)}/inbox`,
          token,
          statement(),
        );
        statuses.push(sent.status);
        if (sent.status !== 202) errors.add(sent.json?.error);
      }
      return { statuses, errors };
    }

    it("refuses one owner filling many devices' inboxes beyond its owner budget with 429 mailbox-full; an honest owner's grant from another address reaches its device", async () => {
      const owner = createIdentity(Role.Viewer);
      const token = await authenticate(relay().base, owner);
      const { statuses, errors } = await flood([owner], [token], '127.0.0.60', PER_OWNER + 8);
      assert.deepEqual(statuses, [...Array(PER_OWNER).fill(202), ...Array(8).fill(429)]);
      assert.deepEqual([...errors], ['mailbox-full']);

      const honest = createIdentity(Role.Viewer);
      const device = await ownedDevice([honest]);
      const grant = statement(300);
      const sent = await postFrom(
        relay().base,
        '127.0.0.61',
        `/v1/devices/${idOf(device)}/inbox`,
        await authenticate(relay().base, honest),
        grant,
      );
      assert.equal(sent.status, 202);
      const taken = await http(relay().base, 'GET', `/v1/devices/${idOf(device)}/inbox`, {
        token: await authenticate(relay().base, device),
      });
      assert.equal(taken.status, 200);
      assert.deepEqual(taken.json?.messages, [Buffer.from(grant).toString('base64url')]);
    });

    it('refuses one address beyond its budget across owners and devices; another address still gets through', async () => {
      const owners = Array.from({ length: PER_SOURCE / PER_OWNER + 1 }, () => createIdentity(Role.Viewer));
      const tokens = await Promise.all(owners.map((owner) => authenticate(relay().base, owner)));
      const { statuses, errors } = await flood(owners, tokens, '127.0.0.70', PER_SOURCE + 8);
      assert.equal(statuses.filter((status) => status === 202).length, PER_SOURCE);
      assert.deepEqual(statuses.slice(PER_SOURCE), Array(8).fill(429));
      assert.deepEqual([...errors], ['mailbox-full']);

      const honest = createIdentity(Role.Viewer);
      const device = await ownedDevice([honest]);
      const sent = await postFrom(
        relay().base,
        '127.0.0.71',
        `/v1/devices/${idOf(device)}/inbox`,
        await authenticate(relay().base, honest),
        statement(300),
      );
      assert.equal(sent.status, 202);
    });
  });
}
