import type { Reader } from './bytes.js';
import { PROTOCOL_VERSION } from './constants.js';
import { fail } from './errors.js';

/** Every structure but the live frame starts with version (u8) and kind (u8). */
export function readHeader(reader: Reader, expectedKind: number): void {
  const version = reader.u8('version');
  if (version !== PROTOCOL_VERSION) fail('UNSUPPORTED_VERSION', `version ${version}`);
  const kind = reader.u8('kind');
  if (kind !== expectedKind)
    fail('WRONG_KIND', `expected kind 0x${expectedKind.toString(16)}, got 0x${kind.toString(16)}`);
}
