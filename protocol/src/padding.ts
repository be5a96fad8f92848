import { fail } from './errors.js';

/**
 * Size padding for stored objects: plaintext || 0x80 || 0x00 ... (ISO/IEC 7816-4 style).
 * 'none' adds only the 0x80 marker; 'padme' rounds the length up as in the PADMÉ scheme
 * (at most ~12% overhead, leaks O(log log n) bits of the size); 'block64' rounds up to 64 bytes.
 */
export type Padding = 'none' | 'padme' | 'block64';

export function paddedLength(length: number, padding: Padding): number {
  const minimum = length + 1;
  if (padding === 'none') return minimum;
  if (padding === 'block64') return Math.ceil(minimum / 64) * 64;
  if (minimum < 2) return minimum;
  const e = Math.floor(Math.log2(minimum));
  const s = Math.floor(Math.log2(e)) + 1;
  const lastBits = e - s;
  const mask = 2 ** lastBits - 1;
  return Math.ceil(minimum / (mask + 1)) * (mask + 1);
}

export function pad(data: Uint8Array, padding: Padding): Uint8Array {
  const out = new Uint8Array(paddedLength(data.length, padding));
  out.set(data);
  out[data.length] = 0x80;
  return out;
}

/**
 * Removes the padding: trailing 0x00 bytes, then the 0x80 marker (else MALFORMED). With `scheme`,
 * the padded length must also be exactly the one that scheme gives (else MALFORMED), so the input has
 * one accepted form; without it (sealed items, whose scheme the sealer chooses) any length is accepted.
 */
export function unpad(data: Uint8Array, scheme?: Padding): Uint8Array {
  let end = data.length - 1;
  while (end >= 0 && data[end] === 0) end--;
  if (end < 0 || data[end] !== 0x80) fail('MALFORMED', 'padding');
  if (scheme !== undefined && paddedLength(end, scheme) !== data.length)
    fail('MALFORMED', `padding is not ${scheme}`);
  return data.subarray(0, end);
}
