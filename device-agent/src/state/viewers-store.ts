import {
  type Access,
  type AuthorisedViewer,
  emptyViewerList,
  fromBase64Url,
  parseCard,
  toBase64Url,
  toHex,
  type ViewerList,
} from '@sealcam/protocol';
import lockfile from 'proper-lockfile';
import { AgentError } from '../errors.js';
import type { NameChanges } from '../sharing/device-profile.js';
import type { StatePaths } from './paths.js';
import { readOptional, writePrivateFile } from './secret-file.js';

/** The persisted viewer list plus the version of the last access list registered with the relay. */
export interface ViewerState {
  readonly list: ViewerList;
  readonly accessListVersion: number;
  /** Display names viewers gave when pairing (unverified text, shown by `viewers`), by hex id. */
  readonly names: Readonly<Record<string, string>>;
  /** The owner's renames of the gateway ('') and cameras (by stream id), applied in the sealed profile. */
  readonly nameChanges: NameChanges;
}

interface ViewerFile {
  v: 1;
  deviceId: string;
  owner: string | null;
  viewers: { card: string; access: Access; since: number; expiresAt: number }[];
  lastChange: Record<string, number>;
  accessListVersion: number;
  names?: Record<string, string>;
  nameChanges?: Record<string, { name: string; issuedAt: number }>;
}

export function encodeViewerState(state: ViewerState): string {
  const file: ViewerFile = {
    v: 1,
    deviceId: toHex(state.list.deviceId),
    owner: state.list.owner ? toBase64Url(state.list.owner.bytes) : null,
    viewers: state.list.viewers.map((viewer) => ({
      card: toBase64Url(viewer.card.bytes),
      access: viewer.access,
      since: viewer.since,
      expiresAt: viewer.expiresAt,
    })),
    lastChange: { ...state.list.lastChange },
    accessListVersion: state.accessListVersion,
    names: { ...state.names },
    nameChanges: { ...state.nameChanges },
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

export function decodeViewerState(text: string, deviceId: Uint8Array, where: string): ViewerState {
  try {
    const file = JSON.parse(text) as ViewerFile;
    if (file.v !== 1 || file.deviceId !== toHex(deviceId)) throw new Error('not this device');
    const viewers: AuthorisedViewer[] = file.viewers.map((viewer) => ({
      card: parseCard(fromBase64Url(viewer.card)),
      access: viewer.access,
      since: viewer.since,
      expiresAt: viewer.expiresAt,
    }));
    return {
      list: {
        deviceId,
        owner: file.owner ? parseCard(fromBase64Url(file.owner)) : null,
        viewers,
        lastChange: file.lastChange,
      },
      accessListVersion: file.accessListVersion,
      names: file.names ?? {},
      nameChanges: file.nameChanges ?? {},
    };
  } catch (error) {
    throw new AgentError('BAD_STATE', `${where} is unreadable (${(error as Error).message})`);
  }
}

export async function loadViewerState(paths: StatePaths, deviceId: Uint8Array): Promise<ViewerState> {
  const text = await readOptional(paths.viewers);
  if (!text) return { list: emptyViewerList(deviceId), accessListVersion: 0, names: {}, nameChanges: {} };
  return decodeViewerState(text.toString('utf8'), deviceId, paths.viewers);
}

/**
 * Read-modify-write of the viewer list under a lock, so `sealcam-agent viewers revoke` and a running
 * agent applying a grant never lose each other's change. Returns the state written.
 */
export async function updateViewerState(
  paths: StatePaths,
  deviceId: Uint8Array,
  change: (state: ViewerState) => ViewerState | Promise<ViewerState>,
): Promise<ViewerState> {
  const release = await lockfile.lock(paths.viewers, {
    realpath: false,
    lockfilePath: `${paths.viewers}.lock`,
    retries: { retries: 50, minTimeout: 20, maxTimeout: 200 },
    stale: 10_000,
  });
  try {
    const next = await change(await loadViewerState(paths, deviceId));
    await writePrivateFile(paths.viewers, encodeViewerState(next));
    return next;
  } finally {
    await release();
  }
}
