import { type Reader, toHex, type Writer } from './bytes.js';
import { ID_BYTES, KEY_BYTES, LIMITS } from './constants.js';
import { fail } from './errors.js';
import { type Stanza, WRAPPED_BYTES } from './wrap.js';

/** ephemeral public key (32) || u16 count || count × (viewer id (16) || wrapped key (48)) */
export function writeRecipients(
  writer: Writer,
  ephemeralPublicKey: Uint8Array,
  stanzas: readonly Stanza[],
): void {
  if (stanzas.length === 0 || stanzas.length > LIMITS.recipients) fail('MALFORMED', 'recipient count');
  writer.bytes(ephemeralPublicKey).u16(stanzas.length);
  for (const stanza of stanzas) writer.bytes(stanza.viewerId).bytes(stanza.wrapped);
}

export function readRecipients(reader: Reader): { ephemeralPublicKey: Uint8Array; stanzas: Stanza[] } {
  const ephemeralPublicKey = reader.bytes(KEY_BYTES, 'ephemeral key').slice();
  const count = reader.u16('recipient count');
  if (count === 0 || count > LIMITS.recipients) fail('MALFORMED', 'recipient count');
  const stanzas: Stanza[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    const viewerId = reader.bytes(ID_BYTES, 'recipient id').slice();
    const wrapped = reader.bytes(WRAPPED_BYTES, 'wrapped key').slice();
    const key = toHex(viewerId);
    if (seen.has(key)) fail('MALFORMED', 'duplicate recipient');
    seen.add(key);
    stanzas.push({ viewerId, wrapped });
  }
  return { ephemeralPublicKey, stanzas };
}
