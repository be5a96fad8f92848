import { type DeviceId, type IdentityCard, parseCard, type ViewerId } from '@sealcam/protocol/relay-safe';
import { LRUCache } from 'lru-cache';
import type { Store } from './store/store.js';

/**
 * Identity cards as verified objects. A card's self-signature is checked once per distinct stored
 * bytes, not on every upload that needs the card; a changed card is verified again.
 */
export function verifiedCards(store: Store) {
  const verified = new LRUCache<string, { bytes: Buffer; card: IdentityCard }>({ max: 50_000 });
  return async (id: DeviceId | ViewerId): Promise<IdentityCard | null> => {
    const bytes = await store.getCard(id);
    if (!bytes) return null;
    const cached = verified.get(id);
    if (cached?.bytes.equals(bytes)) return cached.card;
    const card = parseCard(bytes);
    verified.set(id, { bytes: Buffer.from(bytes), card });
    return card;
  };
}
