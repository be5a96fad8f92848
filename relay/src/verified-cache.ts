import type { IdentityCard } from '@sealcam/protocol/relay-safe';
import { LRUCache } from 'lru-cache';

/** What the relay keeps about objects it verified; each kind under its own key prefix. */
export type VerifiedEntry =
  /** An identity card whose self-signature held, with the bytes it was verified on. */
  | { readonly kind: 'card'; readonly card: IdentityCard }
  /** The SHA-256 of access-list bytes whose device signature held (the list itself stays in the store). */
  | { readonly kind: 'access-list'; readonly digest: Buffer };

/** A fixed charge per entry for the key string, the entry object and lru-cache's bookkeeping. */
const ENTRY_OVERHEAD_BYTES = 256;

function sizeOf(entry: VerifiedEntry, key: string): number {
  const keyBytes = key.length * 2;
  if (entry.kind === 'access-list') return ENTRY_OVERHEAD_BYTES + keyBytes + entry.digest.length;
  const card = entry.card;
  const arrays = card.bytes.length + card.signPublicKey.length + card.boxPublicKey.length + card.id.length;
  // Each Uint8Array costs a header besides its bytes.
  return ENTRY_OVERHEAD_BYTES + keyBytes + arrays + 4 * 96;
}

/**
 * The relay's verified caches (cards, access lists) as ONE lru-cache bounded in bytes
 * (cacheMaxBytes), not entries: however many identities an attacker makes, what the relay keeps
 * about them stays under the budget. Session tokens need no cache: they are stateless HMACs.
 */
export class VerifiedCache {
  private readonly cache: LRUCache<string, VerifiedEntry>;

  constructor(maxBytes: number) {
    this.cache = new LRUCache<string, VerifiedEntry>({ maxSize: maxBytes, sizeCalculation: sizeOf });
  }

  card(id: string): IdentityCard | undefined {
    const entry = this.cache.get(`c:${id}`);
    return entry?.kind === 'card' ? entry.card : undefined;
  }

  setCard(id: string, card: IdentityCard): void {
    this.cache.set(`c:${id}`, { kind: 'card', card });
  }

  accessListDigest(deviceId: string): Buffer | undefined {
    const entry = this.cache.get(`a:${deviceId}`);
    return entry?.kind === 'access-list' ? entry.digest : undefined;
  }

  setAccessListDigest(deviceId: string, digest: Buffer): void {
    this.cache.set(`a:${deviceId}`, { kind: 'access-list', digest });
  }

  /** Bytes the cache accounts for (always <= its budget). */
  get bytes(): number {
    return this.cache.calculatedSize;
  }

  get entries(): number {
    return this.cache.size;
  }
}
