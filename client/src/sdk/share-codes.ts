import {
  concat,
  fromBase32,
  fromUtf8,
  type IdentityCard,
  parseCard,
  toBase32,
  utf8,
} from '@sealcam/protocol';
import { ViewerError } from './errors.js';

const CARD_PREFIX = 'SCV1-';
const INVITE_PREFIX = 'SCI1-';

/** A viewer's public card as text, for the owner to grant it a camera. Public: safe to send. */
export function viewerCardCode(card: IdentityCard): string {
  return CARD_PREFIX + toBase32(card.bytes).toUpperCase();
}

export function parseViewerCardCode(code: string): IdentityCard {
  const text = code.trim().replace(/\s+/g, '');
  if (!text.toUpperCase().startsWith(CARD_PREFIX))
    throw new ViewerError('INVALID_CODE', 'share', 'not a viewer code');
  try {
    return parseCard(fromBase32(text.slice(CARD_PREFIX.length).toLowerCase()));
  } catch (error) {
    throw new ViewerError('INVALID_CODE', 'share', (error as Error).message);
  }
}

/**
 * What the owner gives an invited viewer: the device id (16 bytes) and the relay URL. The viewer
 * fetches the device card from the relay and accepts it only if it hashes to this id.
 */
export function inviteCode(deviceId: Uint8Array, relayUrl: string): string {
  return INVITE_PREFIX + toBase32(concat(deviceId, utf8(relayUrl))).toUpperCase();
}

export function parseInviteCode(code: string): { deviceId: Uint8Array; relayUrl: string } {
  const text = code.trim().replace(/\s+/g, '');
  if (!text.toUpperCase().startsWith(INVITE_PREFIX))
    throw new ViewerError('INVALID_CODE', 'share', 'not an invite');
  try {
    const bytes = fromBase32(text.slice(INVITE_PREFIX.length).toLowerCase());
    const relayUrl = fromUtf8(bytes.subarray(16));
    if (bytes.length <= 16 || !/^https?:\/\/[^\s#]+$/.test(relayUrl)) throw new Error('bad invite');
    return { deviceId: bytes.slice(0, 16), relayUrl };
  } catch (error) {
    throw new ViewerError('INVALID_CODE', 'share', (error as Error).message);
  }
}
