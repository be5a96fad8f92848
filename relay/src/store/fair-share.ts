/**
 * Fair share of the store, the same rule in both backends (the Redis scripts mirror `admit`).
 *
 * Every stored byte is charged to the identity that caused it, and to its home: the source address
 * it authenticated from (as an opaque tag, see Store.putCard), kept while the identity holds any
 * bytes. Below the high-water mark anyone within its quota may store. Above it, an identity holding
 * more than its fair share — storeMaxBytes / (identities storing + 1), the +1 keeping room for one
 * more — is refused first ('quota'), and so is an identity whose home holds more than its share,
 * storeMaxBytes / (homes storing + 1): identities are free, addresses are not, so a thousand fresh
 * identities from one address cannot take the reserve from everyone else. The others keep storing
 * into the reserve until the store is full ('full').
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
  /** Bytes the whole store holds now, and how many identities hold any. */
  readonly totalBytes: number;
  readonly identities: number;
  /** Bytes the identity's home holds now, and how many homes hold any. */
  readonly homeBytes: number;
  readonly homes: number;
  readonly maxBytes: number;
}

export function admit(query: AdmissionQuery): Admission {
  const { identityBytes, bytes, quotaBytes, totalBytes, maxBytes } = query;
  if (bytes <= 0) return 'ok';
  if (identityBytes + bytes > quotaBytes) return 'quota';
  if (totalBytes + bytes <= maxBytes * HIGH_WATER) return 'ok';
  const storing = query.identities + (identityBytes > 0 ? 0 : 1);
  if (identityBytes + bytes > maxBytes / (storing + 1)) return 'quota';
  const homes = query.homes + (query.homeBytes > 0 ? 0 : 1);
  if (query.homeBytes + bytes > maxBytes / (homes + 1)) return 'quota';
  return totalBytes + bytes > maxBytes ? 'full' : 'ok';
}

/** The home of an identity whose authentication left none (a store written by an older relay). */
export const ownHome = (identity: string): string => `id:${identity}`;

/** Bytes charged per identity, per home and in total (the memory store's ledger). */
export class Ledger {
  private readonly byIdentity = new Map<string, { bytes: number; home: string }>();
  private readonly byHome = new Map<string, number>();
  private sum = 0;

  /** `homeOf`: where an identity authenticated from, read when it starts holding bytes. */
  constructor(
    readonly maxBytes: number,
    private readonly homeOf: (identity: string) => string | undefined,
  ) {}

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
    return this.byIdentity.get(identity)?.bytes ?? 0;
  }

  /** The home the identity's bytes are charged to: fixed while it holds any. */
  private home(identity: string): string {
    return this.byIdentity.get(identity)?.home ?? this.homeOf(identity) ?? ownHome(identity);
  }

  admit(identity: string, bytes: number, quotaBytes: number): Admission {
    return admit({
      identityBytes: this.of(identity),
      bytes,
      quotaBytes,
      totalBytes: this.sum,
      identities: this.byIdentity.size,
      homeBytes: this.byHome.get(this.home(identity)) ?? 0,
      homes: this.byHome.size,
      maxBytes: this.maxBytes,
    });
  }

  /** Adds (or with a negative delta releases) bytes charged to the identity and its home. */
  charge(identity: string, delta: number): void {
    const home = this.home(identity);
    const before = this.of(identity);
    const after = Math.max(0, before + delta);
    const change = after - before;
    this.sum += change;
    if (after === 0) this.byIdentity.delete(identity);
    else this.byIdentity.set(identity, { bytes: after, home });
    const homeAfter = (this.byHome.get(home) ?? 0) + change;
    if (homeAfter <= 0) this.byHome.delete(home);
    else this.byHome.set(home, homeAfter);
  }
}
