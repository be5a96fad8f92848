import type { MailboxBounds } from '../store/store.js';

/**
 * What the relay's mailboxes may hold (relay/README.md, "Mailboxes").
 *
 * Pairing requests are the one thing a stranger can leave for a device: anyone with a free viewer
 * identity who knows a device id may post under any pairing id. Three bounds hold them:
 *
 * - per box (device, pairing id): 4 requests, the newest kept. The rightful box's pairing id is
 *   derived from the secret in the pairing code, so only its holders can post there at all.
 * - per device, across all its pairing ids: GROUP_BYTES / GROUP_MESSAGES. Beyond it, whole boxes
 *   are evicted oldest first, but never the box being posted to, nor the box the device polls
 *   (its offered pairing id becomes protected when the device polls it, for PAIRING_TTL_MS).
 *   So a flood of random pairing ids churns only its own boxes: the device's box and the
 *   request in it survive, and the device gets it on its next poll. The group is sized so that
 *   two full boxes (the target and the protected one) fit with room to spare, so eviction always
 *   makes room and a push is never refused for the device's sake — which would tell an
 *   unknown device from a known one.
 * - per sender, across all devices: SENDER_BYTES per viewer identity and SOURCE_BYTES per client
 *   address, per window of PAIRING_TTL_MS. Identities are free, so the per-viewer bound alone only
 *   stops the careless; the per-address bound caps what one address can park in the relay at all
 *   (what is pending is at most what was accepted in the last two windows).
 *
 * A request for an unknown device is charged to its senders and answered 202 like any other, but
 * not stored: the answer does not tell whether a device id exists (THREAT-MODEL.md).
 */
export const PAIRING_TTL_MS = 10 * 60_000;
const MESSAGE_BYTES = 4096;
const BOX_MESSAGES = 4;
const GROUP_MESSAGES = 16;
const GROUP_BYTES = 16 * MESSAGE_BYTES;
const SENDER_BYTES = 8 * MESSAGE_BYTES;
const SOURCE_BYTES = 64 * MESSAGE_BYTES;

export const PAIRING_REQUEST = {
  ttlMs: PAIRING_TTL_MS,
  group: (deviceId: string) => `pairing:${deviceId}`,
};

export function pairingRequestBounds(input: {
  deviceId: string;
  viewerId: string;
  source: string;
  chargeOnly: boolean;
}): MailboxBounds {
  return {
    ttlMs: PAIRING_TTL_MS,
    maxMessages: BOX_MESSAGES,
    maxBytes: BOX_MESSAGES * MESSAGE_BYTES,
    evictOldest: true,
    group: {
      name: PAIRING_REQUEST.group(input.deviceId),
      maxMessages: GROUP_MESSAGES,
      maxBytes: GROUP_BYTES,
    },
    senders: [
      { name: `pairing-viewer:${input.viewerId}`, maxBytes: SENDER_BYTES },
      { name: `pairing-source:${input.source}`, maxBytes: SOURCE_BYTES },
    ],
    chargeOnly: input.chargeOnly,
  };
}

/**
 * Responses are left by the device itself, one per (pairing id, viewer): bounded per device, the
 * oldest evicted first (a device only crowds out its own stale responses).
 */
export const PAIRING_RESPONSE = {
  group: (deviceId: string) => `pairing-response:${deviceId}`,
  bounds: (deviceId: string): MailboxBounds => ({
    ttlMs: PAIRING_TTL_MS,
    maxMessages: 1,
    maxBytes: MESSAGE_BYTES,
    group: { name: PAIRING_RESPONSE.group(deviceId), maxMessages: 16, maxBytes: 16 * MESSAGE_BYTES },
  }),
};

/**
 * Grants and revocations from the device's owner (relay/README.md, "Mailboxes"). They wait for the
 * retention, so what one client parks must be bounded by more than the box:
 *
 * - per box (device): 64 messages / 64 KiB, refused beyond;
 * - per sender: INBOX_OWNER_BYTES per owner (viewer) identity and INBOX_SOURCE_BYTES per client
 *   address, per window of the retention, refused beyond (429). Devices and owners are free to
 *   make (new devices are limited per address), so the per-address budget is what caps one
 *   client: what it has waiting is at most what it sent in the last two windows;
 * - relay-wide: the inbox pool, storeMaxBytes / 16 (at least 1 MiB) counted while a message waits
 *   (released when the device takes its inbox or it expires), refused beyond (507 relay-full).
 *
 * Why budgets and not the store's fair-share ledger: an inbox message is the owner's, not the
 * device's (the device never chose to store it), and charging it to the device would let anyone
 * who owns a device spend that device's upload quota; the sender budgets charge the one who sent
 * it, as the pairing budgets do. Inboxes are kept out of the store's byte accounting so that owner
 * statements never compete with, nor are evicted by, event uploads; the pool is their own bound.
 * An honest owner sends a few statements a week, each a few hundred bytes, and its device takes
 * them on its next connect: it is refused only after sending 256 KiB in one window, or when
 * clients elsewhere hold the whole pool (each address at most 2 × INBOX_SOURCE_BYTES of it).
 */
export const INBOX = { maxMessages: 64, maxBytes: 64 * 1024 } as const;
const INBOX_OWNER_BYTES = 64 * MESSAGE_BYTES;
const INBOX_SOURCE_BYTES = 256 * MESSAGE_BYTES;
export const INBOX_POOL = 'inbox';

export function inboxBounds(input: {
  ownerId: string;
  source: string;
  ttlMs: number;
  storeMaxBytes: number;
}): MailboxBounds {
  return {
    ...INBOX,
    ttlMs: input.ttlMs,
    senders: [
      { name: `inbox-owner:${input.ownerId}`, maxBytes: INBOX_OWNER_BYTES },
      { name: `inbox-source:${input.source}`, maxBytes: INBOX_SOURCE_BYTES },
    ],
    pool: { name: INBOX_POOL, maxBytes: inboxPoolBytes(input.storeMaxBytes) },
  };
}

export function inboxPoolBytes(storeMaxBytes: number): number {
  return Math.max(1_048_576, Math.floor(storeMaxBytes / 16));
}

export const MAILBOX_LIMITS = {
  messageBytes: MESSAGE_BYTES,
  boxMessages: BOX_MESSAGES,
  groupMessages: GROUP_MESSAGES,
  groupBytes: GROUP_BYTES,
  senderBytes: SENDER_BYTES,
  sourceBytes: SOURCE_BYTES,
  inboxOwnerBytes: INBOX_OWNER_BYTES,
  inboxSourceBytes: INBOX_SOURCE_BYTES,
} as const;
