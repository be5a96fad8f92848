import { aeadOpen } from './aead.js';
import { concat, equalBytes, fromBase32, fromUtf8, Reader, toBase32, utf8, Writer } from './bytes.js';
import {
  Access,
  ID_BYTES,
  KEY_BYTES,
  Kind,
  Label,
  LIMITS,
  NONCE_BYTES,
  PAIRING_SECRET_BYTES,
  PROTOCOL_VERSION,
  Role,
  SIG_BYTES,
} from './constants.js';
import { fail, SealError } from './errors.js';
import { derive, encodeParts, hash, u8 } from './hash.js';
import { readHeader } from './header.js';
import {
  CARD_BYTES,
  cardHash,
  formatId,
  type Identity,
  type IdentityCard,
  parseCard,
  safetyNumber,
} from './identity.js';
import { type Rng, systemRng } from './random.js';
import { signBody, verifyBody } from './signature.js';
import { sodium } from './sodium.js';

/** What the device shows out of band (QR code, link, typed code). The secret never reaches the relay. */
export interface PairingOffer {
  readonly relayUrl: string;
  readonly deviceId: Uint8Array;
  readonly secret: Uint8Array;
  readonly expiresAt: number;
}

import { checkRelayUrl } from './relay-url.js';

const CODE_PREFIX = 'SCP1-';
const DEFAULT_TTL_MS = 10 * 60_000;

export function createPairingOffer(
  input: { deviceId: Uint8Array; relayUrl: string; now: number; ttlMs?: number },
  rng: Rng = systemRng,
): PairingOffer {
  checkRelayUrl(input.relayUrl);
  return {
    relayUrl: input.relayUrl,
    deviceId: input.deviceId.slice(),
    secret: rng(PAIRING_SECRET_BYTES),
    expiresAt: input.now + (input.ttlMs ?? DEFAULT_TTL_MS),
  };
}

function encodeOffer(offer: PairingOffer): Uint8Array {
  return new Writer()
    .u8(PROTOCOL_VERSION)
    .u8(Kind.PairingPayload)
    .bytes(offer.deviceId)
    .bytes(offer.secret)
    .u64(offer.expiresAt)
    .shortBytes(utf8(offer.relayUrl))
    .finish();
}

const CHECK_BYTES = 4;

function codeCheck(payload: Uint8Array): Uint8Array {
  return hash(CHECK_BYTES, Label.pairCodeCheck, payload);
}

/**
 * "SCP1-" + upper-case base32 of (payload || 4-byte check): fits QR alphanumeric mode, can be typed,
 * and a typo is caught at once instead of failing later as a key mismatch.
 */
export function pairingCode(offer: PairingOffer): string {
  const payload = encodeOffer(offer);
  return CODE_PREFIX + toBase32(concat(payload, codeCheck(payload))).toUpperCase();
}

/** A link whose payload (and so the secret) sits in the URL fragment, which browsers never send. */
/** <app>/pair#<code>: the web app (by default the relay's) opened on the code, kept in the fragment. */
export function pairingLink(offer: PairingOffer, appUrl = offer.relayUrl): string {
  return `${appUrl}/pair#${pairingCode(offer)}`;
}

/** Accepts a pairing code or link (case, spaces and line breaks ignored in the code). */
export function parsePairing(text: string): PairingOffer {
  const hashIndex = text.indexOf('#');
  const code = (hashIndex >= 0 ? text.slice(hashIndex + 1) : text).replace(/\s+/g, '').toUpperCase();
  if (!code.startsWith(CODE_PREFIX)) fail('MALFORMED', 'not a pairing code');
  const decoded = fromBase32(code.slice(CODE_PREFIX.length));
  if (decoded.length < CHECK_BYTES) fail('TRUNCATED', 'pairing code');
  const payload = decoded.subarray(0, decoded.length - CHECK_BYTES);
  if (!equalBytes(codeCheck(payload), decoded.subarray(payload.length))) {
    fail('MALFORMED', 'pairing code check failed (mistyped or incomplete)');
  }
  const reader = new Reader(payload);
  readHeader(reader, Kind.PairingPayload);
  const deviceId = reader.bytes(ID_BYTES, 'device id').slice();
  const secret = reader.bytes(PAIRING_SECRET_BYTES, 'secret').slice();
  const expiresAt = reader.u64('expiry');
  const relayUrl = fromUtf8(reader.shortBytes('relay URL'));
  reader.end('pairing payload');
  checkRelayUrl(relayUrl);
  return { relayUrl, deviceId, secret, expiresAt };
}

/** Routing id of a pairing session on the relay: reveals nothing about the secret. */
export function pairingId(secret: Uint8Array): Uint8Array {
  return derive(secret, ID_BYTES, Label.pairId);
}

const ROUTING_BYTES = 2 + ID_BYTES + ID_BYTES;

function routingHeader(kind: number, deviceId: Uint8Array, id: Uint8Array): Uint8Array {
  return new Writer().u8(PROTOCOL_VERSION).u8(kind).bytes(deviceId).bytes(id).finish();
}

/** Relay-safe: the routing ids of a pair request or response. */
export function parsePairingRouting(
  bytes: Uint8Array,
  kind: typeof Kind.PairRequest | typeof Kind.PairResponse,
): { deviceId: Uint8Array; pairingId: Uint8Array } {
  const reader = new Reader(bytes);
  readHeader(reader, kind);
  const deviceId = reader.bytes(ID_BYTES, 'device id').slice();
  const id = reader.bytes(ID_BYTES, 'pairing id').slice();
  if (reader.remaining < NONCE_BYTES + 16) fail('TRUNCATED', 'pairing message');
  return { deviceId, pairingId: id };
}

function seal(
  kind: number,
  key: Uint8Array,
  offer: PairingOffer,
  plaintext: Uint8Array,
  rng: Rng,
): Uint8Array {
  const header = routingHeader(kind, offer.deviceId, pairingId(offer.secret));
  const nonce = rng(NONCE_BYTES);
  const sealed = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, header, null, nonce, key);
  return new Writer().bytes(header).bytes(nonce).bytes(sealed).finish();
}

function open(
  kind: typeof Kind.PairRequest | typeof Kind.PairResponse,
  key: Uint8Array,
  offer: PairingOffer,
  bytes: Uint8Array,
) {
  const routing = parsePairingRouting(bytes, kind);
  if (!equalBytes(routing.deviceId, offer.deviceId)) fail('PAIRING_FAILED', 'message is for another device');
  if (!equalBytes(routing.pairingId, pairingId(offer.secret)))
    fail('PAIRING_FAILED', 'message is for another session');
  const nonce = bytes.subarray(ROUTING_BYTES, ROUTING_BYTES + NONCE_BYTES);
  return aeadOpen(
    bytes.subarray(ROUTING_BYTES + NONCE_BYTES),
    bytes.subarray(0, ROUTING_BYTES),
    nonce,
    key,
    'message not sealed with this pairing secret (altered or substituted)',
    'PAIRING_FAILED',
  );
}

function requestKey(offer: PairingOffer): Uint8Array {
  return derive(offer.secret, KEY_BYTES, Label.pairRequestKey, offer.deviceId);
}

function responseKey(offer: PairingOffer): Uint8Array {
  return derive(offer.secret, KEY_BYTES, Label.pairResponseKey, offer.deviceId);
}

function checkExpiry(offer: PairingOffer, now: number): void {
  if (now > offer.expiresAt) fail('STALE', 'pairing code expired');
}

/** The peer's identity card inside a pairing message; any defect in it is a failed pairing. */
function readPeerCard(reader: Reader, what: string): IdentityCard {
  try {
    return parseCard(reader.bytes(CARD_BYTES, what).slice());
  } catch (error) {
    if (error instanceof SealError) fail('PAIRING_FAILED', `${what}: ${error.message}`);
    throw error;
  }
}

/** Viewer → device: the viewer's card (and a display name), sealed under a key from the secret. */
export function createPairRequest(
  input: { viewer: { readonly card: IdentityCard }; offer: PairingOffer; name: string; now: number },
  rng: Rng = systemRng,
): Uint8Array {
  checkExpiry(input.offer, input.now);
  const name = utf8(input.name);
  if (name.length > LIMITS.nameBytes) fail('MALFORMED', 'name too long');
  const plaintext = new Writer().bytes(input.viewer.card.bytes).shortBytes(name).finish();
  return seal(Kind.PairRequest, requestKey(input.offer), input.offer, plaintext, rng);
}

/**
 * Device side. The offer is the device's own record of the code it showed; the caller must make
 * it single-use (forget it once a request opened). Throws PAIRING_FAILED on any substitution.
 */
export function openPairRequest(
  bytes: Uint8Array,
  input: { device: Identity; offer: PairingOffer; now: number },
): { viewer: IdentityCard; name: string } {
  if (!equalBytes(input.offer.deviceId, input.device.card.id))
    fail('MALFORMED', 'offer is of another device');
  checkExpiry(input.offer, input.now);
  const reader = new Reader(open(Kind.PairRequest, requestKey(input.offer), input.offer, bytes));
  const viewer = readPeerCard(reader, 'viewer card');
  if (viewer.role !== Role.Viewer) fail('PAIRING_FAILED', 'peer is not a viewer identity');
  const nameBytes = reader.shortBytes('name');
  if (nameBytes.length > LIMITS.nameBytes) fail('MALFORMED', 'name too long');
  const name = fromUtf8(nameBytes);
  reader.end('pair request');
  return { viewer, name };
}

function transcript(deviceId: Uint8Array, id: Uint8Array, viewer: IdentityCard, access: Access): Uint8Array {
  return encodeParts([Label.pairTranscript, deviceId, id, cardHash(viewer), u8(access)]);
}

/** Device → viewer: the device card, the access granted, and a device signature over the transcript. */
export function createPairResponse(
  input: { device: Identity; offer: PairingOffer; viewer: IdentityCard; access: Access },
  rng: Rng = systemRng,
): Uint8Array {
  const signature = signBody(
    input.device.signSecretKey,
    transcript(input.offer.deviceId, pairingId(input.offer.secret), input.viewer, input.access),
  );
  const plaintext = new Writer().bytes(input.device.card.bytes).u8(input.access).bytes(signature).finish();
  return seal(Kind.PairResponse, responseKey(input.offer), input.offer, plaintext, rng);
}

export interface PairingResult {
  readonly device: IdentityCard;
  readonly access: Access;
  readonly safetyNumber: string;
}

/** Viewer side: the device key must hash to the id from the code and must have signed our own card. */
export function openPairResponse(
  bytes: Uint8Array,
  input: { viewer: { readonly card: IdentityCard }; offer: PairingOffer; now: number },
): PairingResult {
  checkExpiry(input.offer, input.now);
  const reader = new Reader(open(Kind.PairResponse, responseKey(input.offer), input.offer, bytes));
  const device = readPeerCard(reader, 'device card');
  const access = reader.u8('access');
  const signature = reader.bytes(SIG_BYTES, 'signature');
  reader.end('pair response');
  if (access !== Access.Owner && access !== Access.Viewer) fail('MALFORMED', 'access value');
  if (device.role !== Role.Device) fail('PAIRING_FAILED', 'peer is not a device identity');
  if (!equalBytes(device.id, input.offer.deviceId)) {
    fail('PAIRING_FAILED', `device key does not match the code (expected ${formatId(input.offer.deviceId)})`);
  }
  const signed = transcript(input.offer.deviceId, pairingId(input.offer.secret), input.viewer.card, access);
  if (!verifyBody(device.signPublicKey, signed, signature)) {
    fail('PAIRING_FAILED', 'the device did not confirm this viewer key (substituted in transit)');
  }
  return { device, access, safetyNumber: safetyNumber(device, input.viewer.card) };
}
