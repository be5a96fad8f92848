import { fail } from './errors.js';
import { sodium } from './sodium.js';

/**
 * Source of randomness. Production uses libsodium's CSPRNG; tests and test vectors
 * inject a deterministic one. Never called per live frame.
 */
export type Rng = (length: number) => Uint8Array;

export const systemRng: Rng = (length) => sodium.randombytes_buf(length);

/**
 * Deterministic generator for tests and test vectors only:
 * block i = BLAKE2b-512(key = seed, message = u64be(i)), output = block 0 || block 1 || ...
 */
export function seededRng(seed: Uint8Array): Rng {
  if (seed.length < 16 || seed.length > 64) fail('MALFORMED', 'seed must be 16..64 bytes');
  let counter = 0;
  let pool = new Uint8Array(0);
  return (length) => {
    while (pool.length < length) {
      const block = new Uint8Array(8);
      new DataView(block.buffer).setBigUint64(0, BigInt(counter++));
      const next = sodium.crypto_generichash(64, block, seed);
      const merged = new Uint8Array(pool.length + next.length);
      merged.set(pool);
      merged.set(next, pool.length);
      pool = merged;
    }
    const out = pool.slice(0, length);
    pool = pool.slice(length);
    return out;
  };
}
