/**
 * Fair share of the store, the same rule in both backends (the Redis scripts mirror `admit`).
 *
 * Every stored byte is charged to the identity that caused it and to its home: the tag of the
 * source address the identity logged in from (carried in its session token), recorded per charge
 * at its first write and kept until the charge is released, so moving elsewhere neither moves old
 * bytes nor frees them. Identities are free, addresses are not, so:
 *  - an identity may hold its quota, and all the identities of one home together the home quota
 *    (default store / 8): one stranger with many identities and one address cannot take more;
 *  - below the high-water mark that is all;
 *  - above it, an identity holding more than storeMaxBytes / (identities storing + 1), or whose home
 *    holds more than storeMaxBytes / (homes storing + 1), is refused first ('quota') — the +1 keeps
 *    room for one more — and the others keep storing into the reserve until the store is full
 *    ('full').
 */
export const HIGH_WATER = 0.9;

/**
 * Charged for every stored object on top of its length: what the store spends to hold one object
 * besides its bytes (index entries, key strings, per-object records), so a flood of tiny objects is
 * bounded like a few large ones. Measured by storing 50,000 50-byte thumbnails under fresh event
 * ids from 60 devices: memory store +1,219 B of V8 heap per object (after gc; ~1.6 KB of RSS with
 * its buffer in the review's run), Redis +674 B of INFO used_memory per object. 2 KiB covers both.
 */
export const OBJECT_OVERHEAD_BYTES = 2048;

/** What one stored object of `length` bytes is charged. */
export const chargedSize = (length: number): number => length + OBJECT_OVERHEAD_BYTES;

export type Admission = 'ok' | 'quota' | 'full';

export interface AdmissionQuery {
  /** Bytes the identity holds now. */
  readonly identityBytes: number;
  /** Bytes the write adds (a replacement: new minus old; zero or less always fits). */
  readonly bytes: number;
  readonly quotaBytes: number;
  /** Bytes the identities of the write's home hold now, and what they may hold together. */
  readonly homeBytes: number;
  readonly homeQuotaBytes: number;
  /** Bytes the whole store holds now, and how many identities and homes hold any. */
  readonly totalBytes: number;
  readonly identities: number;
  readonly homes: number;
  readonly maxBytes: number;
}

export function admit(query: AdmissionQuery): Admission {
  const { identityBytes, bytes, homeBytes, totalBytes, maxBytes } = query;
  if (bytes <= 0) return 'ok';
  if (identityBytes + bytes > query.quotaBytes) return 'quota';
  if (homeBytes + bytes > query.homeQuotaBytes) return 'quota';
  if (totalBytes + bytes <= maxBytes * HIGH_WATER) return 'ok';
  const storing = query.identities + (identityBytes > 0 ? 0 : 1);
  if (identityBytes + bytes > maxBytes / (storing + 1)) return 'quota';
  const homes = query.homes + (homeBytes > 0 ? 0 : 1);
  if (homeBytes + bytes > maxBytes / (homes + 1)) return 'quota';
  return totalBytes + bytes > maxBytes ? 'full' : 'ok';
}

/** The home of a write whose session names none (a token minted before homes): the identity itself. */
export const ownHome = (identity: string): string => `id:${identity}`;

/** The home a write is charged to. */
export const homeOf = (identity: string, retention: { readonly home?: string }): string =>
  retention.home ?? ownHome(identity);

/** Bytes charged per identity, per home and in total (the memory store's ledger). */
export class Ledger {
  private readonly byIdentity = new Map<string, number>();
  private readonly byHome = new Map<string, number>();
  private sum = 0;

  constructor(readonly maxBytes: number) {}

  get totalBytes(): number {
    return this.sum;
  }

  get identities(): number {
    return this.byIdentity.size;
  }

  get homes(): number {
    return this.byHome.size;
  }

  of(identity: string): number {
    return this.byIdentity.get(identity) ?? 0;
  }

  admit(
    identity: string,
    home: string,
    bytes: number,
    retention: { readonly quotaBytes: number; readonly homeQuotaBytes?: number },
  ): Admission {
    return admit({
      identityBytes: this.of(identity),
      bytes,
      quotaBytes: retention.quotaBytes,
      homeBytes: this.byHome.get(home) ?? 0,
      homeQuotaBytes: retention.homeQuotaBytes ?? Number.POSITIVE_INFINITY,
      totalBytes: this.sum,
      identities: this.byIdentity.size,
      homes: this.byHome.size,
      maxBytes: this.maxBytes,
    });
  }

  /** Adds (or with a negative delta releases) bytes charged to the identity and to the home. */
  charge(identity: string, home: string, delta: number): void {
    const before = this.of(identity);
    const after = Math.max(0, before + delta);
    const change = after - before;
    this.sum += change;
    if (after === 0) this.byIdentity.delete(identity);
    else this.byIdentity.set(identity, after);
    const homeAfter = (this.byHome.get(home) ?? 0) + change;
    if (homeAfter <= 0) this.byHome.delete(home);
    else this.byHome.set(home, homeAfter);
  }
}
