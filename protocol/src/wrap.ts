import { aeadOpen } from './aead.js';
import { equalBytes, toHex } from './bytes.js';
import { ID_BYTES, KEY_BYTES, Label, NONCE_BYTES, TAG_BYTES } from './constants.js';
import { fail } from './errors.js';
import { derive } from './hash.js';
import type { Identity } from './identity.js';
import type { AgreedKey } from './key-holder.js';
import type { Rng } from './random.js';
import { sodium } from './sodium.js';

/** A recipient stanza: the content key wrapped for one viewer. 16 + 48 bytes on the wire. */
export interface Stanza {
  readonly viewerId: Uint8Array;
  readonly wrapped: Uint8Array;
}

export const WRAPPED_BYTES = KEY_BYTES + TAG_BYTES;
export const STANZA_BYTES = ID_BYTES + WRAPPED_BYTES;

export interface WrapRecipient {
  readonly id: Uint8Array;
  readonly boxPublicKey: Uint8Array;
}

const ZERO_NONCE = new Uint8Array(NONCE_BYTES);

function wrapKey(
  shared: Uint8Array,
  ephemeralPublicKey: Uint8Array,
  recipient: WrapRecipient,
  context: Uint8Array,
) {
  return derive(
    shared,
    KEY_BYTES,
    Label.wrap,
    ephemeralPublicKey,
    recipient.boxPublicKey,
    recipient.id,
    context,
  );
}

/** X25519 of a secret key with a peer's ephemeral public key; DECRYPT_FAILED for a low-order point. */
export function agreeWith(secretKey: Uint8Array, ephemeralPublicKey: Uint8Array): Uint8Array {
  try {
    return sodium.crypto_scalarmult(secretKey, ephemeralPublicKey);
  } catch {
    return fail('DECRYPT_FAILED', 'ephemeral key is a low-order point');
  }
}

/**
 * Ephemeral-static X25519 wrapping: one fresh ephemeral key per structure, one stanza per recipient.
 * The wrap key is unique per (ephemeral key, recipient), so the all-zero nonce is never reused.
 */
export function wrapContentKey(
  contentKey: Uint8Array,
  recipients: readonly WrapRecipient[],
  context: Uint8Array,
  rng: Rng,
): { ephemeralPublicKey: Uint8Array; stanzas: Stanza[] } {
  const seen = new Set<string>();
  for (const recipient of recipients) {
    const key = toHex(recipient.id);
    if (seen.has(key)) fail('MALFORMED', 'duplicate recipient');
    seen.add(key);
  }
  const ephemeralSecretKey = rng(KEY_BYTES);
  const ephemeralPublicKey = sodium.crypto_scalarmult_base(ephemeralSecretKey);
  try {
    const stanzas = recipients.map((recipient) => {
      let shared: Uint8Array;
      try {
        shared = sodium.crypto_scalarmult(ephemeralSecretKey, recipient.boxPublicKey);
      } catch {
        return fail('MALFORMED', 'recipient key is a low-order point');
      }
      const key = wrapKey(shared, ephemeralPublicKey, recipient, context);
      sodium.memzero(shared);
      const wrapped = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
        contentKey,
        null,
        null,
        ZERO_NONCE,
        key,
      );
      sodium.memzero(key);
      return { viewerId: recipient.id, wrapped };
    });
    return { ephemeralPublicKey, stanzas };
  } finally {
    sodium.memzero(ephemeralSecretKey);
  }
}

/** Finds this viewer's stanza and unwraps the content key; NOT_RECIPIENT if there is none. */
export function unwrapContentKey(
  viewer: Identity | AgreedKey,
  ephemeralPublicKey: Uint8Array,
  stanzas: readonly Stanza[],
  context: Uint8Array,
): Uint8Array {
  const stanza = stanzas.find((candidate) => equalBytes(candidate.viewerId, viewer.card.id));
  if (!stanza) fail('NOT_RECIPIENT');
  let shared: Uint8Array;
  if ('shared' in viewer) {
    if (!equalBytes(viewer.ephemeralPublicKey, ephemeralPublicKey))
      fail('DECRYPT_FAILED', 'the key was agreed for another ephemeral key');
    shared = viewer.shared.slice();
  } else {
    shared = agreeWith(viewer.boxSecretKey, ephemeralPublicKey);
  }
  const key = wrapKey(shared, ephemeralPublicKey, viewer.card, context);
  sodium.memzero(shared);
  try {
    return aeadOpen(stanza.wrapped, null, ZERO_NONCE, key, 'key stanza');
  } finally {
    sodium.memzero(key);
  }
}
