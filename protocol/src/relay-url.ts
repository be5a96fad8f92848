import { utf8 } from './bytes.js';
import { LIMITS } from './constants.js';
import { fail } from './errors.js';

/** The relay URL rule of pairing codes and invite codes (§10.1): else MALFORMED. */
export function checkRelayUrl(url: string): void {
  if (!/^https?:\/\/[^\s#]+$/.test(url) || url.endsWith('/') || utf8(url).length > LIMITS.urlBytes) {
    fail('MALFORMED', 'relay URL must be http(s)://host[:port][/path] without a trailing slash or fragment');
  }
}
