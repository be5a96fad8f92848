import { type DeviceId, type IdentityCard, parseCard, type ViewerId } from '@sealcam/protocol/relay-safe';
import type { Metrics } from './ops/metrics.js';
import type { Store } from './store/store.js';
import type { VerifiedCache } from './verified-cache.js';

/**
 * Identity cards as verified objects. A card's self-signature is checked once per distinct stored
 * bytes, not on every upload that needs the card; a changed card is verified again. Callers ask
 * for a card only on behalf of its own identity or of a viewer already found on the device's
 * access list, so a stranger cannot make the relay verify (or cache) anything here; a login caches
 * the card it verified (routes/auth.ts), which costs the one logging in a whole login per entry.
 */
export function verifiedCards(store: Store, cache: VerifiedCache, metrics: Metrics) {
  return async (id: DeviceId | ViewerId): Promise<IdentityCard | null> => {
    const bytes = await store.getCard(id);
    if (!bytes) return null;
    const cached = cache.card(id);
    if (cached && Buffer.compare(cached.bytes, bytes) === 0) return cached;
    metrics.verifications.inc({ kind: 'card' });
    const card = parseCard(bytes);
    cache.setCard(id, card);
    return card;
  };
}
