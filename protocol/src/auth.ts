import { concat, equalBytes, fromUtf8, Reader, utf8, Writer } from './bytes.js';
import { CHALLENGE_BYTES, KEY_BYTES, Kind, PROTOCOL_VERSION, SIG_BYTES } from './constants.js';
import { fail } from './errors.js';
import { readHeader } from './header.js';
import { CARD_BYTES, type Identity, type IdentityCard, idFromSignKey, parseCard } from './identity.js';
import { signBody, verifyBody } from './signature.js';

/**
 * Password-less login: the relay issues a random challenge; the device or viewer answers with its
 * identity card and a signature over (relay origin, challenge). The id is self-certifying.
 */
export function createAuthProof(identity: Identity, origin: string, challenge: Uint8Array): Uint8Array {
  const body = authProofBody(identity.card, origin, challenge);
  return concat(body, signBody(identity.signSecretKey, body));
}

/** The signed part of an auth proof, for a signer that holds its key elsewhere (signedWith). */
export function authProofBody(card: IdentityCard, origin: string, challenge: Uint8Array): Uint8Array {
  if (challenge.length !== CHALLENGE_BYTES) fail('MALFORMED', 'challenge length');
  return new Writer()
    .u8(PROTOCOL_VERSION)
    .u8(Kind.AuthProof)
    .bytes(card.bytes)
    .shortBytes(utf8(origin))
    .bytes(challenge)
    .finish();
}

export interface AuthProofExpectation {
  readonly origin: string;
  readonly challenge: Uint8Array;
  readonly role?: number;
  /**
   * A card the verifier checked before, by id (a relay's cache of verified cards). When its bytes are
   * exactly the presented card's, the card's self-signature is not checked again (the same bytes
   * have the same verdict); the proof's own signature always is.
   */
  readonly verifiedCard?: (id: Uint8Array) => IdentityCard | undefined;
}

/** A card's signing key follows its version, kind and role bytes. */
const CARD_SIGN_KEY_OFFSET = 3;

function knownCard(
  cardBytes: Uint8Array,
  lookup: AuthProofExpectation['verifiedCard'],
): IdentityCard | undefined {
  if (!lookup) return undefined;
  const id = idFromSignKey(cardBytes.subarray(CARD_SIGN_KEY_OFFSET, CARD_SIGN_KEY_OFFSET + KEY_BYTES));
  const known = lookup(id);
  return known && equalBytes(known.bytes, cardBytes) ? known : undefined;
}

export function verifyAuthProof(bytes: Uint8Array, expect: AuthProofExpectation): IdentityCard {
  const reader = new Reader(bytes);
  readHeader(reader, Kind.AuthProof);
  const cardBytes = reader.bytes(CARD_BYTES, 'identity card');
  const card = knownCard(cardBytes, expect.verifiedCard) ?? parseCard(cardBytes.slice());
  const origin = fromUtf8(reader.shortBytes('origin'));
  const challenge = reader.bytes(CHALLENGE_BYTES, 'challenge');
  const signedLength = reader.position;
  const signature = reader.bytes(SIG_BYTES, 'signature');
  reader.end('auth proof');
  if (expect.role !== undefined && card.role !== expect.role)
    fail('NOT_AUTHORIZED', 'proof is from another role');
  if (origin !== expect.origin) fail('NOT_AUTHORIZED', 'proof is for another relay');
  if (!equalBytes(challenge, expect.challenge)) fail('REPLAYED', 'proof is for another challenge');
  if (!verifyBody(card.signPublicKey, bytes.subarray(0, signedLength), signature))
    fail('BAD_SIGNATURE', 'auth proof');
  return card;
}
