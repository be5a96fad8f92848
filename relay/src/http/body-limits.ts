import { ID_BYTES, KEY_BYTES, LIMITS, SIG_BYTES, TAG_BYTES } from '@sealcam/protocol/relay-safe';

/**
 * Bytes of request body each kind of route reads at most. Fastify refuses a larger body with 413
 * before parsing it (from Content-Length, or as soon as a chunked body passes the limit), so a body
 * costs the relay no more than its route needs: an unauthenticated JSON route cannot be made to parse
 * megabytes.
 */

/** Every route that sets no limit of its own (and unknown paths): none of them takes a body this large. */
export const DEFAULT_BODY_BYTES = 16 * 1024;

/** `/v1/auth/*`: a token request is ~700 bytes of JSON (43-character challenge, proof of at most 600). */
export const AUTH_BODY_BYTES = 1024;

/**
 * The largest valid signed access list (PROTOCOL.md §9.1, §9.4): header, device id, version, issued-at,
 * count, entries, the sealed profile (ephemeral key, stanzas, ciphertext), signature.
 */
export const ACCESS_LIST_BODY_BYTES =
  2 +
  ID_BYTES +
  8 +
  8 +
  2 +
  LIMITS.accessListEntries * (ID_BYTES + 1) +
  (KEY_BYTES +
    2 +
    LIMITS.recipients * (ID_BYTES + KEY_BYTES + TAG_BYTES) +
    4 +
    LIMITS.profileBytes +
    TAG_BYTES) +
  SIG_BYTES;
