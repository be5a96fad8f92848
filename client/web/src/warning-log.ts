/**
 * What the verification warning banner lists: one line per distinct failure (where, what, why), with
 * a count, so a stream of rejected frames is one line that counts up, not a flood. Pure (no DOM).
 */
export interface WarningInput {
  /** Where: "Front door · live cam-1", "Front door · thumbnail of the event at 14:03:12". */
  readonly context: string;
  /** The SDK's sentence (error.userMessage). */
  readonly message: string;
  /** The SDK's reason code. */
  readonly reason: string;
}

export interface WarningEntry extends WarningInput {
  readonly key: string;
  readonly count: number;
  readonly firstAt: number;
  readonly lastAt: number;
}

export class WarningLog {
  private readonly entries = new Map<string, WarningEntry>();

  constructor(private readonly limit = 20) {}

  /** Records a failure; returns its entry and whether it is a new line. */
  add(input: WarningInput, now: number): { entry: WarningEntry; isNew: boolean } {
    const key = `${input.context}\u0000${input.reason}\u0000${input.message}`;
    const held = this.entries.get(key);
    const entry: WarningEntry = held
      ? { ...held, count: held.count + 1, lastAt: now }
      : { ...input, key, count: 1, firstAt: now, lastAt: now };
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.limit) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return { entry, isNew: !held };
  }

  /** Lines, most recent first. */
  list(): WarningEntry[] {
    return [...this.entries.values()].reverse();
  }

  /** Failures counted in all lines. */
  get total(): number {
    let total = 0;
    for (const entry of this.entries.values()) total += entry.count;
    return total;
  }

  clear(): void {
    this.entries.clear();
  }
}
