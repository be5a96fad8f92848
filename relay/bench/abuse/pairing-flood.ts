import { randomBytes } from 'node:crypto';
import {
  createIdentity,
  createPairingOffer,
  createPairRequest,
  formatId,
  type Identity,
  Kind,
  PROTOCOL_VERSION,
  pairingId,
  Role,
} from '@sealcam/protocol';
import { type Answer, send, source, tokenFrom } from './net.js';
import { outcomeOf, Tally } from './pool.js';
import type { Target } from './target.js';

export interface PairingFloodScale {
  /** Attacking viewers, each from its own source. */
  readonly senders: number;
  /** Each sender stops after this many requests (4 KiB each) if nothing refused it. */
  readonly requestsPerSender: number;
}

export interface PairingFloodOutcome {
  /** Every answer the attackers got. */
  readonly answers: Tally;
  /** Per sender: requests queued (202) before the refusal that stopped it, and that refusal. */
  readonly senders: { queued: number; refusal: string | null }[];
  /** The honest viewer's pairing request under the device's own pairing id, and the device taking it. */
  readonly honestPairing: string;
}

const MESSAGE_BYTES = 4096;

/** A well-routed 4 KiB pairing request (header, device id, pairing id, then noise) for any pairing id. */
function junkRequest(deviceId: Uint8Array, pairing: Uint8Array): Uint8Array {
  const bytes = randomBytes(MESSAGE_BYTES);
  bytes[0] = PROTOCOL_VERSION;
  bytes[1] = Kind.PairRequest;
  bytes.set(deviceId, 2);
  bytes.set(pairing, 18);
  return bytes;
}

/**
 * Attack 5: viewers leave 4 KiB pairing requests for a known device under random pairing ids.
 * Expected: a bound in bytes per sender and per device (a 4xx other than rate-limited), while the
 * device's own pairing (the honest viewer under the real pairing id) still goes through.
 */
export async function pairingFlood(
  target: Target,
  device: Identity,
  honestViewer: Identity,
  scale: PairingFloodScale,
): Promise<PairingFloodOutcome> {
  const deviceId = formatId(device.card.id);
  const answers = new Tally();
  const offer = createPairingOffer({ deviceId: device.card.id, relayUrl: target.base, now: Date.now() });
  const senders = await Promise.all(
    Array.from({ length: scale.senders }, async (_, s) => {
      const from = source(160 + s);
      const token = await tokenFrom(target.base, createIdentity(Role.Viewer), from);
      let queued = 0;
      for (let i = 0; i < scale.requestsPerSender; i++) {
        const pairing = randomBytes(16);
        const answer = await send(target.base, `/v1/pairing/${deviceId}/${formatId(pairing)}/request`, {
          method: 'POST',
          token,
          body: junkRequest(device.card.id, pairing),
          localAddress: from,
        });
        answers.add(outcomeOf(answer));
        if (answer.status === 202) queued += 1;
        else if (!(await rateLimited(answer))) return { queued, refusal: outcomeOf(answer) };
      }
      return { queued, refusal: null };
    }),
  );
  return { answers, senders, honestPairing: await honestPairing(target, device, honestViewer, offer) };
}

async function rateLimited(answer: Answer): Promise<boolean> {
  if (answer.status !== 429 || answer.reason !== 'rate-limited') return false;
  await new Promise((resolve) => setTimeout(resolve, Math.min(5, answer.retryAfterSeconds ?? 1) * 1000));
  return true;
}

/** "ok", or what went wrong, for a real pairing request the device then takes. */
async function honestPairing(
  target: Target,
  device: Identity,
  viewer: Identity,
  offer: ReturnType<typeof createPairingOffer>,
): Promise<string> {
  const deviceId = formatId(device.card.id);
  const id = formatId(pairingId(offer.secret));
  const request = createPairRequest({ viewer, offer, name: 'honest phone', now: Date.now() });
  const viewerToken = await tokenFrom(target.base, viewer, undefined);
  const left = await send(target.base, `/v1/pairing/${deviceId}/${id}/request`, {
    method: 'POST',
    token: viewerToken,
    body: request,
  });
  if (left.status !== 202) return `request ${outcomeOf(left)}`;
  const deviceToken = await tokenFrom(target.base, device, undefined);
  const taken = await send(target.base, `/v1/pairing/${deviceId}/${id}/requests`, { token: deviceToken });
  if (taken.status !== 200) return `take ${outcomeOf(taken)}`;
  const messages = (taken.json?.messages ?? []) as string[];
  const expected = Buffer.from(request).toString('base64url');
  return messages.includes(expected) ? 'ok' : `take: ${messages.length} messages, not the honest one`;
}
