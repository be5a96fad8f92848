import { concat, equalBytes, Reader, Writer } from './bytes.js';
import { CLOCK_SKEW_MS } from './clock.js';
import { Access, ID_BYTES, Kind, PROTOCOL_VERSION, SIG_BYTES } from './constants.js';
import { fail } from './errors.js';
import { readHeader } from './header.js';
import { CARD_BYTES, type Identity, type IdentityCard, parseCard } from './identity.js';
import { signBody, verifyBody } from './signature.js';

/** Owner-signed: "viewer <card> may see device <id>" from issuedAt until expiresAt (0 = no expiry). */
export interface Grant {
  readonly deviceId: Uint8Array;
  readonly ownerId: Uint8Array;
  readonly access: Access;
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly grantee: IdentityCard;
  readonly bytes: Uint8Array;
}

/** Owner-signed: "viewer <id> may no longer see device <id>". */
export interface Revocation {
  readonly deviceId: Uint8Array;
  readonly ownerId: Uint8Array;
  readonly viewerId: Uint8Array;
  readonly issuedAt: number;
  readonly bytes: Uint8Array;
}

export interface GrantInput {
  deviceId: Uint8Array;
  grantee: IdentityCard;
  issuedAt: number;
  expiresAt?: number;
}

export interface RevocationInput {
  deviceId: Uint8Array;
  viewerId: Uint8Array;
  issuedAt: number;
}

export function createGrant(input: GrantInput & { owner: Identity }): Uint8Array {
  const body = grantBody(input.owner.card, input);
  return concat(body, signBody(input.owner.signSecretKey, body));
}

/** The signed part of a grant, for an owner that holds its key elsewhere (signedWith). */
export function grantBody(owner: IdentityCard, input: GrantInput): Uint8Array {
  return new Writer()
    .u8(PROTOCOL_VERSION)
    .u8(Kind.Grant)
    .bytes(input.deviceId)
    .bytes(owner.id)
    .u8(Access.Viewer)
    .u64(input.issuedAt)
    .u64(input.expiresAt ?? 0)
    .bytes(input.grantee.bytes)
    .finish();
}

export function createRevocation(input: RevocationInput & { owner: Identity }): Uint8Array {
  const body = revocationBody(input.owner.card, input);
  return concat(body, signBody(input.owner.signSecretKey, body));
}

/** The signed part of a revocation, for an owner that holds its key elsewhere (signedWith). */
export function revocationBody(owner: IdentityCard, input: RevocationInput): Uint8Array {
  return new Writer()
    .u8(PROTOCOL_VERSION)
    .u8(Kind.Revocation)
    .bytes(input.deviceId)
    .bytes(owner.id)
    .bytes(input.viewerId)
    .u64(input.issuedAt)
    .finish();
}

export interface OwnerCheck {
  /** The device checking the statement. */
  readonly deviceId: Uint8Array;
  /** The owner card from the device's own local store, never from the relay. */
  readonly owner: IdentityCard;
  readonly now: number;
}

function checkSigner(deviceId: Uint8Array, ownerId: Uint8Array, check: OwnerCheck): void {
  if (!equalBytes(deviceId, check.deviceId)) fail('WRONG_DEVICE', 'statement is for another device');
  if (!equalBytes(ownerId, check.owner.id))
    fail('NOT_AUTHORIZED', 'statement not issued by this device owner');
}

export function verifyGrant(bytes: Uint8Array, check: OwnerCheck): Grant {
  const reader = new Reader(bytes);
  readHeader(reader, Kind.Grant);
  const deviceId = reader.bytes(ID_BYTES, 'device id').slice();
  const ownerId = reader.bytes(ID_BYTES, 'owner id').slice();
  const access = reader.u8('access');
  const issuedAt = reader.u64('issued-at');
  const expiresAt = reader.u64('expires-at');
  const granteeBytes = reader.bytes(CARD_BYTES, 'grantee card');
  const signedLength = reader.position;
  const signature = reader.bytes(SIG_BYTES, 'signature');
  reader.end('grant');
  if (access !== Access.Viewer) fail('MALFORMED', 'a grant gives viewer access only');
  checkSigner(deviceId, ownerId, check);
  if (!verifyBody(check.owner.signPublicKey, bytes.subarray(0, signedLength), signature))
    fail('BAD_SIGNATURE', 'grant');
  const grantee = parseCard(granteeBytes.slice());
  if (grantee.role !== 2) fail('MALFORMED', 'grantee is not a viewer identity');
  if (issuedAt > check.now + CLOCK_SKEW_MS) fail('STALE', 'grant issued in the future');
  if (expiresAt !== 0 && expiresAt <= check.now) fail('STALE', 'grant expired');
  return { deviceId, ownerId, access: Access.Viewer, issuedAt, expiresAt, grantee, bytes: bytes.slice() };
}

export function verifyRevocation(bytes: Uint8Array, check: OwnerCheck): Revocation {
  const reader = new Reader(bytes);
  readHeader(reader, Kind.Revocation);
  const deviceId = reader.bytes(ID_BYTES, 'device id').slice();
  const ownerId = reader.bytes(ID_BYTES, 'owner id').slice();
  const viewerId = reader.bytes(ID_BYTES, 'viewer id').slice();
  const issuedAt = reader.u64('issued-at');
  const signedLength = reader.position;
  const signature = reader.bytes(SIG_BYTES, 'signature');
  reader.end('revocation');
  checkSigner(deviceId, ownerId, check);
  if (!verifyBody(check.owner.signPublicKey, bytes.subarray(0, signedLength), signature)) {
    fail('BAD_SIGNATURE', 'revocation');
  }
  if (issuedAt > check.now + CLOCK_SKEW_MS) fail('STALE', 'revocation issued in the future');
  if (equalBytes(viewerId, check.owner.id)) fail('MALFORMED', 'the owner cannot be revoked');
  return { deviceId, ownerId, viewerId, issuedAt, bytes: bytes.slice() };
}
