import type { PlatformKeys } from './platform-keys.js';

/**
 * Everything a viewer keeps: its identity (private keys) and the cameras it paired with. Stored by a
 * KeyStore: IndexedDB in the browser, a 0600 file in Node. Never sent anywhere.
 */
export interface ViewerState {
  readonly v: 1;
  /**
   * The private keys: exportIdentity() bytes, base64url (Node: a 0600 file), or keys held inside the
   * platform that no code can export (the browser: non-extractable WebCrypto keys in IndexedDB).
   */
  readonly identity: string | PlatformKeys;
  readonly cameras: readonly StoredCamera[];
}

export interface StoredCamera {
  /** The device's identity card, base64url; its id was checked against the pairing code or invite. */
  readonly card: string;
  readonly relayUrl: string;
  readonly name: string;
  /** 1 owner, 2 viewer. */
  readonly access: number;
  readonly pairedAt: number;
  /**
   * Last accepted manifest per stream (rollback and fork protection across sessions), and the
   * highest frame counter opened under it (replay protection across sessions, saved every few seconds).
   */
  readonly streams: Readonly<
    Record<string, { readonly epoch: number; readonly hash: string; readonly counter?: number }>
  >;
  /** The highest access-list version this viewer verified for the camera (an older one is a rollback). */
  readonly accessListVersion?: number;
  /** The device's names as last opened from its sealed profile (PROTOCOL.md §9.3), at that list version. */
  readonly profile?: StoredProfile;
  /** The user said the safety numbers differ: nothing of this camera is fetched or opened any more. */
  readonly distrusted?: true;
}

export interface StoredProfile {
  readonly version: number;
  /** '' when the device gives none. */
  readonly gatewayName: string;
  readonly cameras: readonly { readonly streamId: string; readonly name: string }[];
}

export interface KeyStore {
  load(): Promise<ViewerState | null>;
  save(state: ViewerState): Promise<void>;
  /** A new identity held by the platform, or null to use one held in memory (the default). */
  createIdentity?(): Promise<PlatformKeys | null>;
}

/** Keeps the state in memory only (tests, throwaway viewers). */
export class MemoryKeyStore implements KeyStore {
  private state: ViewerState | null = null;

  async load(): Promise<ViewerState | null> {
    return this.state;
  }

  async save(state: ViewerState): Promise<void> {
    this.state = state;
  }
}

/**
 * `mine` with the rollback floors of `stored` where they are higher: per camera (same card), the
 * access-list version and each stream's manifest chain (the higher epoch). Cameras are `mine`'s.
 */
export function keepingRollbackFloors(mine: ViewerState, stored: ViewerState): ViewerState {
  const storedByCard = new Map(stored.cameras.map((camera) => [camera.card, camera]));
  return {
    ...mine,
    cameras: mine.cameras.map((camera) => {
      const other = storedByCard.get(camera.card);
      if (!other) return camera;
      const streams = { ...camera.streams };
      for (const [streamId, chain] of Object.entries(other.streams ?? {})) {
        const own = streams[streamId];
        if (!own || chain.epoch > own.epoch) streams[streamId] = chain;
        else if (chain.epoch === own.epoch && (chain.counter ?? -1) > (own.counter ?? -1))
          streams[streamId] = { ...own, counter: chain.counter! };
      }
      const version = Math.max(camera.accessListVersion ?? 0, other.accessListVersion ?? 0);
      const profile =
        other.profile && other.profile.version > (camera.profile?.version ?? -1)
          ? other.profile
          : camera.profile;
      return {
        ...camera,
        streams,
        ...(version > 0 ? { accessListVersion: version } : {}),
        ...(profile ? { profile } : {}),
        // Once distrusted, always distrusted (another tab cannot undo it).
        ...(camera.distrusted || other.distrusted ? { distrusted: true as const } : {}),
      };
    }),
  };
}
