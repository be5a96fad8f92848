import { createAccessList, type Identity, sealProfile, systemRng } from '@sealcam/protocol';
import { RelayError, type RelaySession } from '@sealcam/relay-client';
import type { Logger } from '../log.js';
import type { StatePaths } from '../state/paths.js';
import { updateViewerState } from '../state/viewers-store.js';
import { currentProfile, type ProfileDefaults } from './device-profile.js';

/**
 * Registers the device's current viewers (a grant that expired is not one) with the relay (its second
 * line of access control), with the device's names sealed for exactly those viewers (PROTOCOL.md §9.3)
 * when `profile` is given. Versions are max(last + 1, now) so they only grow, even across a restored
 * state directory. A relay older than sealed profiles refuses a list with one (400): the list is then
 * registered without it, so revocations still reach the relay, and `log` says names are not published.
 */
export async function registerAccessList(
  session: RelaySession,
  device: Identity,
  paths: StatePaths,
  profile?: ProfileDefaults,
  log?: Logger,
  now = Date.now(),
): Promise<number> {
  const state = await updateViewerState(paths, device.card.id, (current) => ({
    ...current,
    accessListVersion: Math.max(current.accessListVersion + 1, now),
  }));
  const viewers = state.list.viewers.filter((viewer) => viewer.expiresAt === 0 || viewer.expiresAt > now);
  const list = (withProfile: boolean) =>
    createAccessList({
      device,
      version: state.accessListVersion,
      issuedAt: now,
      entries: viewers.map((viewer) => ({ viewerId: viewer.card.id, access: viewer.access })),
      ...(withProfile && profile && viewers.length > 0
        ? {
            profile: sealProfile(currentProfile(profile, state.nameChanges), {
              deviceId: device.card.id,
              version: state.accessListVersion,
              recipients: viewers.map((viewer) => ({
                id: viewer.card.id,
                boxPublicKey: viewer.card.boxPublicKey,
              })),
              rng: systemRng,
            }),
          }
        : {}),
    });
  const path = `/v1/devices/${session.id}/access-list`;
  try {
    await session.request('PUT', path, list(true));
  } catch (error) {
    if (!(profile && error instanceof RelayError && error.status === 400)) throw error;
    log?.warn(
      { reason: error.message },
      'the relay refused the access list with sealed names (an older relay?): registered without them',
    );
    await session.request('PUT', path, list(false));
  }
  return state.accessListVersion;
}
