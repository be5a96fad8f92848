import { type ErrorCode, fail } from './errors.js';
import { sodium } from './sodium.js';

/**
 * XChaCha20-Poly1305 open: the plaintext, or a SealError (`code`, DECRYPT_FAILED unless said) naming
 * `what` failed authentication. The one place the protocol opens an AEAD box.
 */
export function aeadOpen(
  ciphertext: Uint8Array,
  aad: Uint8Array | null,
  nonce: Uint8Array,
  key: Uint8Array,
  what: string,
  code: ErrorCode = 'DECRYPT_FAILED',
): Uint8Array {
  try {
    return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, ciphertext, aad, nonce, key);
  } catch {
    return fail(code, what);
  }
}
