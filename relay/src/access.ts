import { createHash } from 'node:crypto';
import {
  Access,
  accessEntryOf,
  type DeviceId,
  type IdentityCard,
  parseId,
  verifyAccessList,
} from '@sealcam/protocol/relay-safe';
import type { Session } from './auth/tokens.js';
import type { Metrics } from './ops/metrics.js';
import type { Store } from './store/store.js';
import type { VerifiedCache } from './verified-cache.js';

export type AccessLevel = 'none' | 'viewer' | 'owner' | 'device';

/**
 * The second line of defence: a viewer reads a device's objects only if the device's own signed
 * access list names it. Membership is read from the stored bytes first (no crypto, no allocation):
 * an unlisted viewer costs a scan and nothing is kept for it. Only a listed viewer makes the relay
 * verify the list, once per distinct bytes: the cache keeps the list's SHA-256, not its entries.
 */
export function accessControl(
  store: Store,
  card: (id: DeviceId) => Promise<IdentityCard | null>,
  cache: VerifiedCache,
  metrics: Metrics,
) {
  return async (session: Session, deviceId: DeviceId): Promise<AccessLevel> => {
    if (session.role === 'device') return session.id === deviceId ? 'device' : 'none';
    const bytes = await store.getAccessList(deviceId);
    if (!bytes) return 'none';
    let access: Access | null;
    try {
      access = accessEntryOf(bytes, parseId(session.id));
    } catch {
      return 'none';
    }
    if (access === null) return 'none';
    const digest = createHash('sha256').update(bytes).digest();
    if (!cache.accessListDigest(deviceId)?.equals(digest)) {
      try {
        const device = await card(deviceId);
        if (!device) return 'none';
        metrics.verifications.inc({ kind: 'access-list' });
        verifyAccessList(bytes, device);
      } catch {
        return 'none';
      }
      cache.setAccessListDigest(deviceId, digest);
    }
    return access === Access.Owner ? 'owner' : 'viewer';
  };
}
