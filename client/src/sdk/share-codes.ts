import {
  parseInviteCode as decodeInviteCode,
  inviteCode as encodeInviteCode,
  type IdentityCard,
  parseViewerCode,
  viewerCode,
} from '@sealcam/protocol';
import { ViewerError } from './errors.js';

/** The codecs are the protocol's (docs/PROTOCOL.md §8.4); this maps their failures to ViewerError. */
function asViewerError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw new ViewerError('INVALID_CODE', 'share', (error as Error).message);
  }
}

/** A viewer's public card as text, for the owner to grant it a camera. Public: safe to send. */
export function viewerCardCode(card: IdentityCard): string {
  return viewerCode(card);
}

export function parseViewerCardCode(code: string): IdentityCard {
  return asViewerError(() => parseViewerCode(code));
}

/**
 * What the owner gives an invited viewer: the device id (16 bytes) and the relay URL. The viewer
 * fetches the device card from the relay and accepts it only if it hashes to this id.
 */
export function inviteCode(deviceId: Uint8Array, relayUrl: string): string {
  return encodeInviteCode({ deviceId, relayUrl });
}

export function parseInviteCode(code: string): { deviceId: Uint8Array; relayUrl: string } {
  return asViewerError(() => decodeInviteCode(code));
}
