import {
  concat,
  fromBase64Url,
  identityCardBody,
  importIdentity,
  type KeyHolder,
  parseCard,
  Role,
  SealError,
  signatureInput,
  toBase64Url,
} from '@sealcam/protocol';

/**
 * A viewer identity whose private keys live inside the platform's WebCrypto as non-extractable
 * CryptoKeys (stored as such in IndexedDB): the page can sign and agree keys with them, but no code on
 * the page, including code swapped in by whoever serves it, can read or export their bytes.
 */
export interface PlatformKeys {
  /** The public identity card, base64url. */
  readonly card: string;
  /** Ed25519, non-extractable. */
  readonly signKey: CryptoKey;
  /** X25519, non-extractable. */
  readonly boxKey: CryptoKey;
}

const ED25519 = { name: 'Ed25519' } as const;
const X25519 = { name: 'X25519' } as const;
// PKCS #8 wrappers of a 32-byte private key (RFC 8410): Ed25519 (1.3.101.112), X25519 (1.3.101.110).
const PKCS8_ED25519 = [
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];
const PKCS8_X25519 = [
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
];

/** The bytes in an ArrayBuffer of their own, as WebCrypto's types ask. */
function owned(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes);
}

function subtle(): SubtleCrypto {
  const api = globalThis.crypto?.subtle;
  if (!api) throw new Error('WebCrypto is unavailable (the page must be a secure context)');
  return api;
}

async function card(signKey: CryptoKey, signPublic: CryptoKey, boxPublic: CryptoKey): Promise<string> {
  const body = identityCardBody(
    Role.Viewer,
    new Uint8Array(await subtle().exportKey('raw', signPublic)),
    new Uint8Array(await subtle().exportKey('raw', boxPublic)),
  );
  const signature = new Uint8Array(await subtle().sign(ED25519, signKey, owned(signatureInput(body))));
  return toBase64Url(parseCard(concat(body, signature)).bytes);
}

/** A new viewer identity, generated inside WebCrypto; throws where it lacks Ed25519 or X25519. */
export async function createPlatformKeys(): Promise<PlatformKeys> {
  const sign = (await subtle().generateKey(ED25519, false, ['sign', 'verify'])) as CryptoKeyPair;
  const box = (await subtle().generateKey(X25519, false, ['deriveBits'])) as CryptoKeyPair;
  return {
    card: await card(sign.privateKey, sign.publicKey, box.publicKey),
    signKey: sign.privateKey,
    boxKey: box.privateKey,
  };
}

/**
 * Moves an identity kept as bytes (exportIdentity, base64url) into WebCrypto as non-extractable keys,
 * the same identity (same card). The caller then overwrites the stored bytes.
 */
export async function importPlatformKeys(exported: string): Promise<PlatformKeys> {
  const raw = fromBase64Url(exported);
  const identity = importIdentity(raw);
  const seed = identity.signSecretKey.subarray(0, 32);
  const signPkcs8 = Uint8Array.from([...PKCS8_ED25519, ...seed]);
  const boxPkcs8 = Uint8Array.from([...PKCS8_X25519, ...identity.boxSecretKey]);
  try {
    return {
      card: toBase64Url(identity.card.bytes),
      signKey: await subtle().importKey('pkcs8', signPkcs8, ED25519, false, ['sign']),
      boxKey: await subtle().importKey('pkcs8', boxPkcs8, X25519, false, ['deriveBits']),
    };
  } finally {
    for (const bytes of [raw, identity.signSecretKey, identity.boxSecretKey, signPkcs8, boxPkcs8])
      bytes.fill(0);
  }
}

export function platformKeyHolder(keys: PlatformKeys): KeyHolder {
  return {
    card: parseCard(fromBase64Url(keys.card)),
    inMemory: null,
    signBody: async (body) =>
      new Uint8Array(await subtle().sign(ED25519, keys.signKey, owned(signatureInput(body)))),
    agree: async (publicKey) => {
      if (publicKey.length !== 32) throw new SealError('MALFORMED', 'public key length');
      try {
        const peer = await subtle().importKey('raw', owned(publicKey), X25519, true, []);
        return new Uint8Array(await subtle().deriveBits({ name: 'X25519', public: peer }, keys.boxKey, 256));
      } catch {
        // WebCrypto refuses an all-zero result (a low-order point), as libsodium does.
        throw new SealError('DECRYPT_FAILED', 'ephemeral key is a low-order point');
      }
    },
  };
}

/** Whether a stored identity is platform-held keys (else exportIdentity bytes, base64url). */
export function isPlatformKeys(identity: string | PlatformKeys): identity is PlatformKeys {
  return typeof identity !== 'string';
}
