import { concat, utf8 } from './bytes.js';
import { Label, SIG_BYTES } from './constants.js';
import { sodium } from './sodium.js';

const prefix = concat(utf8(Label.signature), Uint8Array.of(0));

/** Every Ed25519 signature in the protocol is over "sealcam/v1/sig" || 0x00 || structure bytes. */
export function signBody(signSecretKey: Uint8Array, body: Uint8Array): Uint8Array {
  return sodium.crypto_sign_detached(concat(prefix, body), signSecretKey);
}

export function verifyBody(signPublicKey: Uint8Array, body: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== SIG_BYTES) return false;
  try {
    return sodium.crypto_sign_verify_detached(signature, concat(prefix, body), signPublicKey);
  } catch {
    return false;
  }
}
