import { toHex } from '../src/bytes.js';
import type { Rng } from '../src/random.js';

/** An rng that records each draw (hex), so a vector can list the draws it consumed. */
export function recorder(rng: Rng): { rng: Rng; take: () => string[] } {
  let draws: string[] = [];
  return {
    rng: (length) => {
      const out = rng(length);
      draws.push(toHex(out));
      return out;
    },
    take: () => {
      const taken = draws;
      draws = [];
      return taken;
    },
  };
}
