import { fromBase32, Reader, toBase32, Writer } from './bytes.js';
import { ID_BYTES, KEY_BYTES, Kind, Label, PROTOCOL_VERSION, Role, SIG_BYTES } from './constants.js';
import { fail } from './errors.js';
import { hash } from './hash.js';
import { readHeader } from './header.js';
import { type Rng, systemRng } from './random.js';
import { signBody, verifyBody } from './signature.js';
import { sodium } from './sodium.js';

/** The public half of an identity, signed by its own Ed25519 key (binds the X25519 key to the id). */
export interface IdentityCard {
  readonly role: Role;
  readonly signPublicKey: Uint8Array;
  readonly boxPublicKey: Uint8Array;
  readonly id: Uint8Array;
  readonly bytes: Uint8Array;
}

/** A full identity with private keys. Lives only on the agent or the viewer. */
export interface Identity {
  readonly card: IdentityCard;
  readonly signSecretKey: Uint8Array;
  readonly boxSecretKey: Uint8Array;
}

export const CARD_BYTES = 2 + 1 + KEY_BYTES + KEY_BYTES + SIG_BYTES;
const SECRET_BYTES = 2 + 1 + KEY_BYTES + KEY_BYTES;

/** Self-certifying id: BLAKE2b with a 16-byte output over (label, Ed25519 public key). */
export function idFromSignKey(signPublicKey: Uint8Array): Uint8Array {
  if (signPublicKey.length !== KEY_BYTES) fail('MALFORMED', 'signing key must be 32 bytes');
  return hash(ID_BYTES, Label.id, signPublicKey);
}

/** Readable id: 26 lowercase RFC 4648 base32 characters. */
export function formatId(id: Uint8Array): string {
  if (id.length !== ID_BYTES) fail('MALFORMED', 'id must be 16 bytes');
  return toBase32(id);
}

export function parseId(text: string): Uint8Array {
  const trimmed = text.replace(/[\s-]/g, '');
  if (trimmed.length !== 26) fail('MALFORMED', 'an id is 26 base32 characters');
  return fromBase32(trimmed);
}

/** Id in groups of four for reading aloud or comparing by eye, e.g. "k3vq 7xa2 ...". */
export function fingerprint(id: Uint8Array): string {
  return formatId(id)
    .match(/.{1,4}/g)!
    .join(' ');
}

/** The self-signed part of an identity card (a card is this body and its Ed25519 signature). */
export function identityCardBody(
  role: Role,
  signPublicKey: Uint8Array,
  boxPublicKey: Uint8Array,
): Uint8Array {
  return new Writer()
    .u8(PROTOCOL_VERSION)
    .u8(Kind.IdentityCard)
    .u8(role)
    .bytes(signPublicKey)
    .bytes(boxPublicKey)
    .finish();
}

function fromKeys(role: Role, signSeed: Uint8Array, boxSecretKey: Uint8Array): Identity {
  if (role !== Role.Device && role !== Role.Viewer) fail('MALFORMED', 'unknown role');
  if (signSeed.length !== KEY_BYTES || boxSecretKey.length !== KEY_BYTES) fail('MALFORMED', 'key length');
  const sign = sodium.crypto_sign_seed_keypair(signSeed);
  const boxPublicKey = sodium.crypto_scalarmult_base(boxSecretKey);
  const body = identityCardBody(role, sign.publicKey, boxPublicKey);
  const bytes = new Writer().bytes(body).bytes(signBody(sign.privateKey, body)).finish();
  return {
    card: { role, signPublicKey: sign.publicKey, boxPublicKey, id: idFromSignKey(sign.publicKey), bytes },
    signSecretKey: sign.privateKey,
    boxSecretKey: boxSecretKey.slice(),
  };
}

/** New identity: 32 random bytes seed the Ed25519 key, 32 more are the X25519 secret key. */
export function createIdentity(role: Role, rng: Rng = systemRng): Identity {
  return fromKeys(role, rng(KEY_BYTES), rng(KEY_BYTES));
}

/** Parses and verifies an identity card; throws MALFORMED / BAD_SIGNATURE. */
export function parseCard(bytes: Uint8Array): IdentityCard {
  const reader = new Reader(bytes);
  readHeader(reader, Kind.IdentityCard);
  const role = reader.u8('role');
  if (role !== Role.Device && role !== Role.Viewer) fail('MALFORMED', 'unknown role');
  const signPublicKey = reader.bytes(KEY_BYTES, 'signing key').slice();
  const boxPublicKey = reader.bytes(KEY_BYTES, 'box key').slice();
  const signature = reader.bytes(SIG_BYTES, 'signature');
  reader.end('identity card');
  if (!verifyBody(signPublicKey, bytes.subarray(0, CARD_BYTES - SIG_BYTES), signature)) {
    fail('BAD_SIGNATURE', 'identity card');
  }
  return { role, signPublicKey, boxPublicKey, id: idFromSignKey(signPublicKey), bytes: bytes.slice() };
}

export function cardHash(card: IdentityCard): Uint8Array {
  return hash(32, Label.cardHash, card.bytes);
}

/** Local key-store format (never sent anywhere): version, kind 0x1f, role, Ed25519 seed, X25519 secret. */
export function exportIdentity(identity: Identity): Uint8Array {
  return new Writer()
    .u8(PROTOCOL_VERSION)
    .u8(0x1f)
    .u8(identity.card.role)
    .bytes(identity.signSecretKey.subarray(0, KEY_BYTES))
    .bytes(identity.boxSecretKey)
    .finish();
}

export function importIdentity(bytes: Uint8Array): Identity {
  if (bytes.length !== SECRET_BYTES) fail('MALFORMED', 'identity secret length');
  const reader = new Reader(bytes);
  readHeader(reader, 0x1f);
  const role = reader.u8('role') as Role;
  return fromKeys(role, reader.bytes(KEY_BYTES), reader.bytes(KEY_BYTES));
}

/**
 * Safety number of a (device, viewer) pair: 60 digits in 12 groups of 5, the same on both sides.
 * Six 5-byte chunks of H(label, device keys, viewer keys), each read as a 40-bit integer mod 10^10.
 */
export function safetyNumber(device: IdentityCard, viewer: IdentityCard): string {
  const digest = hash(
    30,
    Label.safetyNumber,
    device.signPublicKey,
    device.boxPublicKey,
    viewer.signPublicKey,
    viewer.boxPublicKey,
  );
  const groups: string[] = [];
  for (let i = 0; i < 6; i++) {
    let value = 0;
    for (let j = 0; j < 5; j++) value = value * 256 + digest[i * 5 + j]!;
    const digits = (value % 1e10).toString().padStart(10, '0');
    groups.push(digits.slice(0, 5), digits.slice(5));
  }
  return groups.join(' ');
}
