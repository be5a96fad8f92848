import { concat, utf8 } from './bytes.js';
import { Label, SIG_BYTES } from './constants.js';
import { sodium } from './sodium.js';

const prefix = concat(utf8(Label.signature), Uint8Array.of(0));

/** What every Ed25519 signature in the protocol signs: "sealcam/v1/sig" || 0x00 || structure bytes. */
export function signatureInput(body: Uint8Array): Uint8Array {
  return concat(prefix, body);
}

export function signBody(signSecretKey: Uint8Array, body: Uint8Array): Uint8Array {
  return sodium.crypto_sign_detached(signatureInput(body), signSecretKey);
}

export function verifyBody(signPublicKey: Uint8Array, body: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== SIG_BYTES) return false;
  try {
    return sodium.crypto_sign_verify_detached(signature, signatureInput(body), signPublicKey);
  } catch {
    return false;
  }
}
