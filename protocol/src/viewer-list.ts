import { equalBytes, toHex } from './bytes.js';
import { Access } from './constants.js';
import { fail } from './errors.js';
import { type Grant, type OwnerCheck, type Revocation, verifyGrant, verifyRevocation } from './grant.js';
import type { IdentityCard } from './identity.js';

export interface AuthorisedViewer {
  readonly card: IdentityCard;
  readonly access: Access;
  readonly since: number;
  readonly expiresAt: number;
}

/**
 * The device's own list of who may see it: the only source of recipients for key wrapping.
 * Immutable; each change returns a new list. `lastChange` per viewer id makes replays of an older
 * grant or revocation fail instead of undoing a newer one.
 */
export interface ViewerList {
  readonly deviceId: Uint8Array;
  readonly owner: IdentityCard | null;
  readonly viewers: readonly AuthorisedViewer[];
  readonly lastChange: Readonly<Record<string, number>>;
}

export function emptyViewerList(deviceId: Uint8Array): ViewerList {
  return { deviceId, owner: null, viewers: [], lastChange: {} };
}

/** Pairing (authenticated by the out-of-band secret) adds a viewer; the first one paired is the owner. */
export function addPairedViewer(list: ViewerList, card: IdentityCard, now: number): ViewerList {
  const isOwner = !list.owner || equalBytes(list.owner.id, card.id);
  const access = isOwner ? Access.Owner : Access.Viewer;
  const viewers = list.viewers.filter((viewer) => !equalBytes(viewer.card.id, card.id));
  viewers.push({ card, access, since: now, expiresAt: 0 });
  return {
    ...list,
    owner: list.owner ?? card,
    viewers,
    lastChange: { ...list.lastChange, [toHex(card.id)]: now },
  };
}

function requireOwner(list: ViewerList, now: number): OwnerCheck {
  if (!list.owner) fail('NOT_AUTHORIZED', 'device has no owner yet');
  return { deviceId: list.deviceId, owner: list.owner, now };
}

function checkFresh(list: ViewerList, viewerId: Uint8Array, issuedAt: number): void {
  const last = list.lastChange[toHex(viewerId)];
  if (last !== undefined && issuedAt <= last) fail('REPLAYED', 'older than the last change for this viewer');
}

export function applyGrant(
  list: ViewerList,
  bytes: Uint8Array,
  now: number,
): { list: ViewerList; grant: Grant } {
  const grant = verifyGrant(bytes, requireOwner(list, now));
  checkFresh(list, grant.grantee.id, grant.issuedAt);
  if (list.owner && equalBytes(grant.grantee.id, list.owner.id))
    fail('MALFORMED', 'the owner needs no grant');
  const viewers = list.viewers.filter((viewer) => !equalBytes(viewer.card.id, grant.grantee.id));
  viewers.push({
    card: grant.grantee,
    access: Access.Viewer,
    since: grant.issuedAt,
    expiresAt: grant.expiresAt,
  });
  return {
    list: { ...list, viewers, lastChange: { ...list.lastChange, [toHex(grant.grantee.id)]: grant.issuedAt } },
    grant,
  };
}

export function applyRevocation(
  list: ViewerList,
  bytes: Uint8Array,
  now: number,
): { list: ViewerList; revocation: Revocation } {
  const revocation = verifyRevocation(bytes, requireOwner(list, now));
  checkFresh(list, revocation.viewerId, revocation.issuedAt);
  const viewers = list.viewers.filter((viewer) => !equalBytes(viewer.card.id, revocation.viewerId));
  return {
    list: {
      ...list,
      viewers,
      lastChange: { ...list.lastChange, [toHex(revocation.viewerId)]: revocation.issuedAt },
    },
    revocation,
  };
}

/** Recipients for the next manifest or event: authorised viewers whose grant has not expired. */
export function currentRecipients(list: ViewerList, now: number): IdentityCard[] {
  return list.viewers.filter((viewer) => viewer.expiresAt === 0 || viewer.expiresAt > now).map((v) => v.card);
}
