import {
  checkName,
  type DeviceProfile,
  type Identity,
  opaqueStreamId,
  type StreamId,
} from '@sealcam/protocol';
import type { AgentConfig } from '../config.js';

/** A name the owner gave from the app (a CameraName statement), by target: '' = the gateway, else a stream id. */
export type NameChanges = Readonly<Record<string, { readonly name: string; readonly issuedAt: number }>>;

/** What the configuration says the profile holds before any rename by the owner. */
export interface ProfileDefaults {
  readonly gatewayName: string;
  readonly cameras: readonly { readonly streamId: StreamId; readonly name: string }[];
}

export function profileDefaults(
  config: Pick<AgentConfig, 'cameras' | 'gatewayName'>,
  device: Identity,
): ProfileDefaults {
  return {
    gatewayName: config.gatewayName ?? '',
    cameras: config.cameras.map((camera) => ({
      streamId: opaqueStreamId(device, camera.id),
      name: camera.displayName ?? camera.id,
    })),
  };
}

/** The profile the device seals now: the configured names, each replaced by the owner's latest rename. */
export function currentProfile(defaults: ProfileDefaults, changes: NameChanges): DeviceProfile {
  return {
    gatewayName: changes['']?.name ?? defaults.gatewayName,
    cameras: defaults.cameras.map((camera) => ({
      streamId: camera.streamId,
      name: changes[camera.streamId]?.name ?? camera.name,
    })),
  };
}

/** The targets an owner may rename: the gateway ('') and the configured cameras' stream ids. */
export function renameTargets(defaults: ProfileDefaults): ReadonlySet<string> {
  return new Set(['', ...defaults.cameras.map((camera) => camera.streamId)]);
}

/** Configured names follow the protocol's rule (checkName); a bad one is a configuration error. */
export function checkConfiguredNames(config: Pick<AgentConfig, 'cameras' | 'gatewayName'>): void {
  if (config.gatewayName !== undefined) checkName(config.gatewayName, 'gatewayName');
  for (const camera of config.cameras)
    checkName(camera.displayName ?? camera.id, `camera "${camera.id}" displayName`);
}
