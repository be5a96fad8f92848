import { createAccessList, type Identity } from '@sealcam/protocol';
import type { RelaySession } from '@sealcam/relay-client';
import type { StatePaths } from '../state/paths.js';
import { updateViewerState } from '../state/viewers-store.js';

/**
 * Registers the device's current viewers with the relay (its second line of access control).
 * Versions are max(last + 1, now) so they only grow, even across a restored state directory.
 */
export async function registerAccessList(
  session: RelaySession,
  device: Identity,
  paths: StatePaths,
  now = Date.now(),
): Promise<number> {
  const state = await updateViewerState(paths, device.card.id, (current) => ({
    ...current,
    accessListVersion: Math.max(current.accessListVersion + 1, now),
  }));
  const list = createAccessList({
    device,
    version: state.accessListVersion,
    issuedAt: now,
    entries: state.list.viewers.map((viewer) => ({ viewerId: viewer.card.id, access: viewer.access })),
  });
  await session.request('PUT', `/v1/devices/${session.id}/access-list`, list);
  return state.accessListVersion;
}
