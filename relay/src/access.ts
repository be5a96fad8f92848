import {
  Access,
  type DeviceId,
  type IdentityCard,
  toBase32,
  verifyAccessList,
} from '@sealcam/protocol/relay-safe';
import { LRUCache } from 'lru-cache';
import type { Session } from './auth/tokens.js';
import type { Store } from './store/store.js';

export type AccessLevel = 'none' | 'viewer' | 'owner' | 'device';

/**
 * The second line of defence: a viewer reads a device's objects only if the device's own signed
 * access list names it. Verified lists are cached by their bytes, so a changed list is re-verified.
 */
export function accessControl(store: Store, card: (id: DeviceId) => Promise<IdentityCard | null>) {
  const verified = new LRUCache<string, { bytes: Buffer; viewers: Map<string, number> }>({ max: 50_000 });
  return async (session: Session, deviceId: DeviceId): Promise<AccessLevel> => {
    if (session.role === 'device') return session.id === deviceId ? 'device' : 'none';
    const bytes = await store.getAccessList(deviceId);
    if (!bytes) return 'none';
    let entry = verified.get(deviceId);
    if (!entry?.bytes.equals(bytes)) {
      try {
        const device = await card(deviceId);
        if (!device) return 'none';
        const list = verifyAccessList(bytes, device);
        entry = {
          bytes: Buffer.from(bytes),
          viewers: new Map(list.entries.map((item) => [toBase32(item.viewerId), item.access])),
        };
      } catch {
        return 'none';
      }
      verified.set(deviceId, entry);
    }
    const access = entry.viewers.get(session.id);
    if (access === Access.Owner) return 'owner';
    return access === Access.Viewer ? 'viewer' : 'none';
  };
}
