import {
  Access,
  addPairedViewer,
  createPairingOffer,
  createPairResponse,
  formatId,
  fromBase64Url,
  type Identity,
  type IdentityCard,
  LIMITS,
  openPairRequest,
  type PairingOffer,
  pairingCode,
  pairingId,
  pairingLink,
  SealError,
  safetyNumber,
  toHex,
} from '@sealcam/protocol';
import { RelayError, type RelaySession, sleep } from '@sealcam/relay-client';
import { AgentError } from '../errors.js';
import type { Logger } from '../log.js';
import type { StatePaths } from '../state/paths.js';
import { updateViewerState } from '../state/viewers-store.js';

export interface PairingInvitation {
  readonly offer: PairingOffer;
  /** Typed form: SCP1-… */
  readonly code: string;
  /** Link form: <app>/pair#<code> (the app is the relay's by default); the part after # never reaches a server. */
  readonly link: string;
}

export interface PairedViewer {
  readonly viewer: IdentityCard;
  readonly name: string;
  readonly access: Access;
  readonly safetyNumber: string;
}

export function createInvitation(
  device: Identity,
  relayUrl: string,
  ttlMs: number,
  appUrl = relayUrl,
): PairingInvitation {
  const offer = createPairingOffer({ deviceId: device.card.id, relayUrl, now: Date.now(), ttlMs });
  return { offer, code: pairingCode(offer), link: pairingLink(offer, appUrl) };
}

/**
 * Waits for a viewer to answer the invitation through the relay, then answers it and adds it to the
 * device's own viewer list (the first viewer paired becomes the owner). The offer is single-use:
 * the first request that opens under the pairing secret wins; any other is logged and ignored.
 */
export async function completePairing(input: {
  device: Identity;
  invitation: PairingInvitation;
  session: RelaySession;
  paths: StatePaths;
  log: Logger;
  signal: AbortSignal;
  pollMs?: number;
}): Promise<PairedViewer> {
  const { device, invitation, session, log, signal } = input;
  const pid = formatId(pairingId(invitation.offer.secret));
  const base = `/v1/pairing/${session.id}/${pid}`;
  while (!signal.aborted) {
    if (Date.now() > invitation.offer.expiresAt)
      throw new AgentError('PAIRING_FAILED', 'the pairing code expired before a viewer used it');
    let messages: unknown;
    try {
      messages = (await session.request('GET', `${base}/requests`)).json<{ messages?: unknown }>().messages;
    } catch (error) {
      if (!(error instanceof RelayError) || !error.transient) throw error;
      log.warn({ reason: error.message }, 'relay not reachable while waiting for the viewer; retrying');
      await sleep(Math.max(input.pollMs ?? 1000, error.retryAfterMs ?? 0), signal);
      continue;
    }
    if (!Array.isArray(messages))
      throw new AgentError('PAIRING_FAILED', 'the relay answered with something else');
    for (const message of messages) {
      if (typeof message !== 'string') continue;
      let opened: { viewer: IdentityCard; name: string };
      try {
        opened = openPairRequest(fromBase64Url(message), {
          device,
          offer: invitation.offer,
          now: Date.now(),
        });
      } catch (error) {
        if (!(error instanceof SealError)) throw error;
        log.warn({ reason: error.code }, 'ignored a pairing request that does not open under this code');
        continue;
      }
      const state = await updateViewerState(input.paths, device.card.id, (current) => {
        if (current.list.viewers.length >= LIMITS.recipients)
          throw new AgentError('PAIRING_FAILED', `the device already has ${LIMITS.recipients} viewers`);
        return {
          ...current,
          list: addPairedViewer(current.list, opened.viewer, Date.now()),
          names: { ...current.names, [toHex(opened.viewer.id)]: opened.name },
        };
      });
      const access = state.list.viewers.find(
        (v) => formatId(v.card.id) === formatId(opened.viewer.id),
      )!.access;
      const reply = createPairResponse({ device, offer: invitation.offer, viewer: opened.viewer, access });
      await session.request('PUT', `${base}/response/${formatId(opened.viewer.id)}`, reply);
      return {
        viewer: opened.viewer,
        name: opened.name,
        access,
        safetyNumber: safetyNumber(device.card, opened.viewer),
      };
    }
    await sleep(input.pollMs ?? 1000, signal);
  }
  throw new AgentError('PAIRING_FAILED', 'pairing cancelled');
}

export function accessName(access: Access): string {
  return access === Access.Owner ? 'owner' : 'viewer';
}
