import { concat } from './bytes.js';
import { KEY_BYTES } from './constants.js';
import { fail } from './errors.js';
import type { Identity, IdentityCard } from './identity.js';
import { signBody } from './signature.js';
import { agreeWith } from './wrap.js';

/**
 * A viewer's private-key operations, wherever its keys are held: in this process's memory
 * (libsodium: the CLI, agents, tests), or inside the platform as keys that cannot be exported
 * (WebCrypto in the browser), so that even code running with them cannot copy them out.
 */
export interface KeyHolder {
  readonly card: IdentityCard;
  /** The identity itself when its keys are in memory: the synchronous paths use it directly. */
  readonly inMemory: Identity | null;
  /** The Ed25519 signature of a structure's body, over signatureInput(body). */
  signBody(body: Uint8Array): Promise<Uint8Array>;
  /** X25519 of the holder's secret key with `publicKey`; DECRYPT_FAILED for a low-order point. */
  agree(publicKey: Uint8Array): Promise<Uint8Array>;
}

/**
 * A key agreement done ahead of a synchronous open (openManifest, openEvent): the shared secret of
 * the viewer's key with one structure's ephemeral key. Used for that ephemeral key only.
 */
export interface AgreedKey {
  readonly card: IdentityCard;
  readonly ephemeralPublicKey: Uint8Array;
  readonly shared: Uint8Array;
}

export function memoryKeyHolder(identity: Identity): KeyHolder {
  return {
    card: identity.card,
    inMemory: identity,
    signBody: async (body) => signBody(identity.signSecretKey, body),
    agree: async (publicKey) => {
      if (publicKey.length !== KEY_BYTES) fail('MALFORMED', 'public key length');
      return agreeWith(identity.boxSecretKey, publicKey);
    },
  };
}

/** What the open functions take as `viewer`: the identity when in memory, else an agreement made now. */
export async function viewerFor(
  holder: KeyHolder,
  ephemeralPublicKey: Uint8Array,
): Promise<Identity | AgreedKey> {
  if (holder.inMemory) return holder.inMemory;
  return { card: holder.card, ephemeralPublicKey, shared: await holder.agree(ephemeralPublicKey) };
}

/** body || the holder's signature of it: a signed structure. */
export async function signedWith(holder: KeyHolder, body: Uint8Array): Promise<Uint8Array> {
  return concat(body, await holder.signBody(body));
}
