import { rm } from 'node:fs/promises';
import {
  applyGrant,
  applyRevocation,
  formatId,
  fromBase64Url,
  type Identity,
  Kind,
  LIMITS,
  openCameraName,
  SealError,
  toHex,
} from '@sealcam/protocol';
import { RelayError, type RelaySession } from '@sealcam/relay-client';
import type { Logger } from '../log.js';
import type { StatePaths } from '../state/paths.js';
import { readOptional, writePrivateFile } from '../state/secret-file.js';
import { updateViewerState } from '../state/viewers-store.js';

export interface InboxResult {
  /** Grants and revocations applied (a new key epoch follows). */
  readonly applied: number;
  /** Name changes applied (a new sealed profile follows). */
  readonly renamed: number;
  /** Refused statements by protocol reason (BAD_SIGNATURE for a forged grant, REPLAYED, …). */
  readonly rejected: Record<string, number>;
}

/**
 * Takes the owner's grants, revocations and name changes the relay carried, verifies each against the
 * owner key the device learned at pairing (never a key the relay supplies) and applies the valid ones
 * to the local viewer list and names. The relay cannot add a viewer: a statement not signed by the
 * owner is refused. A name change opens with the device's own key; one no newer than the last applied
 * to its target is refused as REPLAYED, one for a camera the device does not have as WRONG_STREAM.
 * `renameTargets`: the gateway ('') and the configured cameras' stream ids.
 */
export async function processInbox(
  session: RelaySession,
  paths: StatePaths,
  device: Identity,
  renameTargets: ReadonlySet<string>,
  log: Logger,
  now = Date.now(),
): Promise<InboxResult> {
  const deviceId = device.card.id;
  const pending = await loadPending(paths);
  const response = await session.request('GET', `/v1/devices/${session.id}/inbox`);
  const { messages } = response.json<{ messages?: unknown }>();
  if (!Array.isArray(messages) || !messages.every((m) => typeof m === 'string'))
    throw new RelayError({
      kind: 'malformed',
      status: response.status,
      message: 'the relay answered the inbox with something else',
    });
  if (messages.length > 0) {
    pending.push(...(messages as string[]));
    await writePrivateFile(paths.inboxPending, JSON.stringify(pending));
  }
  let applied = 0;
  let renamed = 0;
  const rejected: Record<string, number> = {};
  if (pending.length === 0) return { applied, renamed, rejected };
  await updateViewerState(paths, deviceId, (state) => {
    let list = state.list;
    const nameChanges = { ...state.nameChanges };
    for (const text of pending) {
      try {
        const bytes = fromBase64Url(text);
        if (bytes[1] === Kind.Grant) {
          if (list.viewers.length >= LIMITS.recipients)
            throw new SealError('EXHAUSTED', `the device already has ${LIMITS.recipients} viewers`);
          const result = applyGrant(list, bytes, now);
          list = result.list;
          log.info({ viewer: formatId(result.grant.grantee.id) }, 'owner granted a viewer access');
        } else if (bytes[1] === Kind.Revocation) {
          const result = applyRevocation(list, bytes, now);
          list = result.list;
          log.info({ viewer: formatId(result.revocation.viewerId) }, 'owner revoked a viewer');
        } else if (bytes[1] === Kind.CameraName) {
          if (!list.owner) throw new SealError('NOT_AUTHORIZED', 'the device has no owner yet');
          const change = openCameraName(bytes, { device, owner: list.owner, now });
          const target = change.streamId ?? '';
          if (!renameTargets.has(target))
            throw new SealError('WRONG_STREAM', 'no such camera on this device');
          if (change.issuedAt <= (nameChanges[target]?.issuedAt ?? 0))
            throw new SealError('REPLAYED', 'an equal or newer name change was already applied');
          nameChanges[target] = { name: change.name, issuedAt: change.issuedAt };
          renamed++;
          // The name itself is content: it is never logged.
          log.info({ camera: change.streamId ?? 'gateway' }, 'owner renamed a camera');
          continue;
        } else {
          throw new SealError('WRONG_KIND', 'not a grant, revocation or name change');
        }
        applied++;
      } catch (error) {
        const reason = error instanceof SealError ? error.code : 'MALFORMED';
        rejected[reason] = (rejected[reason] ?? 0) + 1;
        log.warn({ reason, detail: (error as Error).message }, 'refused a statement from the inbox');
      }
    }
    return { ...state, list, nameChanges };
  });
  await rm(paths.inboxPending, { force: true });
  return { applied, renamed, rejected };
}

async function loadPending(paths: StatePaths): Promise<string[]> {
  const text = await readOptional(paths.inboxPending);
  if (!text) return [];
  try {
    const parsed = JSON.parse(text.toString('utf8')) as unknown;
    return Array.isArray(parsed) ? parsed.filter((m): m is string => typeof m === 'string') : [];
  } catch {
    return [];
  }
}

/** A stable fingerprint of who may see the device, to notice changes. */
export function viewerSetKey(viewers: readonly { card: { id: Uint8Array } }[]): string {
  return viewers
    .map((viewer) => toHex(viewer.card.id))
    .sort()
    .join(',');
}
