import { concat, fromBase32, fromUtf8, toBase32, utf8 } from './bytes.js';
import { ID_BYTES } from './constants.js';
import { fail } from './errors.js';
import { type IdentityCard, parseCard } from './identity.js';
import { checkRelayUrl } from './relay-url.js';

/**
 * Text codes for sharing a camera (docs/PROTOCOL.md §8.4). Both are public: neither holds a secret.
 *
 *   viewer code = "SCV1-" ‖ UPPERCASE(base32(identity card))          (a viewer → the owner)
 *   invite code = "SCI1-" ‖ UPPERCASE(base32(deviceId ‖ relay URL))   (the owner → that viewer)
 */
export const VIEWER_CODE_PREFIX = 'SCV1-';
export const INVITE_CODE_PREFIX = 'SCI1-';

export interface Invite {
  readonly deviceId: Uint8Array;
  readonly relayUrl: string;
}

/** Whitespace removed, prefix checked case-insensitively, the rest base32-decoded: else MALFORMED. */
function codeBytes(text: string, prefix: string, what: string): Uint8Array {
  const code = text.replace(/\s+/g, '');
  if (code.slice(0, prefix.length).toUpperCase() !== prefix) fail('MALFORMED', `not ${what}`);
  return fromBase32(code.slice(prefix.length));
}

export function viewerCode(card: IdentityCard): string {
  return VIEWER_CODE_PREFIX + toBase32(card.bytes).toUpperCase();
}

/** In order: prefix and base32 (MALFORMED), then the card as parseCard (§3.3 codes). */
export function parseViewerCode(text: string): IdentityCard {
  return parseCard(codeBytes(text, VIEWER_CODE_PREFIX, 'a viewer code'));
}

/** deviceId ≠ 16 bytes or a relay URL that breaks the §10.1 rule: MALFORMED. */
export function inviteCode(invite: Invite): string {
  if (invite.deviceId.length !== ID_BYTES) fail('MALFORMED', 'device id length');
  checkRelayUrl(invite.relayUrl);
  return INVITE_CODE_PREFIX + toBase32(concat(invite.deviceId, utf8(invite.relayUrl))).toUpperCase();
}

/**
 * In order: prefix and base32 (MALFORMED); fewer than 17 bytes (a device id and at least one URL
 * byte) → TRUNCATED; URL not UTF-8 → MALFORMED; the §10.1 relay URL rule → MALFORMED.
 */
export function parseInviteCode(text: string): Invite {
  const bytes = codeBytes(text, INVITE_CODE_PREFIX, 'an invite code');
  if (bytes.length <= ID_BYTES) fail('TRUNCATED', 'invite code shorter than a device id and a URL');
  const relayUrl = fromUtf8(bytes.subarray(ID_BYTES));
  checkRelayUrl(relayUrl);
  return { deviceId: bytes.slice(0, ID_BYTES), relayUrl };
}
