import { utf8 } from './bytes.js';
import { sodium } from './sodium.js';

/** Length-prefixed concatenation: for each part, u32be(length) || part. Unambiguous by construction. */
export function encodeParts(parts: readonly (Uint8Array | string)[]): Uint8Array {
  const encoded = parts.map((part) => (typeof part === 'string' ? utf8(part) : part));
  let length = 0;
  for (const part of encoded) length += 4 + part.length;
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const part of encoded) {
    view.setUint32(offset, part.length);
    out.set(part, offset + 4);
    offset += 4 + part.length;
  }
  return out;
}

/** H(label, parts) = BLAKE2b(outLength, encodeParts([label, ...parts])), unkeyed. */
export function hash(outLength: number, label: string, ...parts: (Uint8Array | string)[]): Uint8Array {
  return sodium.crypto_generichash(outLength, encodeParts([label, ...parts]), null);
}

/** KDF(key, label, parts) = BLAKE2b(outLength, encodeParts([label, ...parts]), key). Keyed BLAKE2b is a PRF. */
export function derive(
  key: Uint8Array,
  outLength: number,
  label: string,
  ...parts: (Uint8Array | string)[]
): Uint8Array {
  return sodium.crypto_generichash(outLength, encodeParts([label, ...parts]), key);
}

export function u32be(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

export function u8(value: number): Uint8Array {
  return Uint8Array.of(value);
}
