import { Access, formatId, parseId, toHex, type ViewerList } from '@sealcam/protocol';
import { AgentError } from '../errors.js';

/**
 * Revocation by whoever administers the gateway itself (`sealcam-agent viewers revoke`): no owner
 * signature is needed because the device's own state is the authority. The owner cannot be removed
 * this way (it is the key that signs grants): re-initialise the device to change owners.
 */
export function revokeLocally(list: ViewerList, viewerIdText: string, now: number): ViewerList {
  let viewerId: Uint8Array;
  try {
    viewerId = parseId(viewerIdText.replace(/\s+/g, ''));
  } catch {
    throw new AgentError('NO_SUCH_VIEWER', `"${viewerIdText}" is not a viewer id (26 base32 characters)`);
  }
  const target = list.viewers.find((viewer) => formatId(viewer.card.id) === formatId(viewerId));
  if (!target) throw new AgentError('NO_SUCH_VIEWER', `no authorised viewer ${formatId(viewerId)}`);
  if (target.access === Access.Owner)
    throw new AgentError(
      'BAD_STATE',
      'the owner cannot be revoked; re-initialise the device to change owners',
    );
  const last = list.lastChange[toHex(viewerId)] ?? 0;
  return {
    ...list,
    viewers: list.viewers.filter((viewer) => viewer !== target),
    // Later than any statement seen so far, so an older grant replayed from the inbox cannot undo it.
    lastChange: { ...list.lastChange, [toHex(viewerId)]: Math.max(now, last + 1) },
  };
}
