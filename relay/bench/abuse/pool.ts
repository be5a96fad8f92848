/** Runs `work(0 … count-1)` with at most `concurrency` at once; stops starting new ones once `stop()` is true. */
export async function pool(
  count: number,
  concurrency: number,
  work: (index: number) => Promise<void>,
  stop: () => boolean = () => false,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count && !stop()) {
      const index = next++;
      await work(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** Counts outcomes by name (e.g. "403 no-grant", "413", "ECONNRESET"). */
export class Tally {
  readonly counts: Record<string, number> = {};
  add(key: string): void {
    this.counts[key] = (this.counts[key] ?? 0) + 1;
  }
  total(): number {
    return Object.values(this.counts).reduce((sum, n) => sum + n, 0);
  }
  /** How many outcomes have a name for which `accept` is true. */
  count(accept: (key: string) => boolean): number {
    return Object.entries(this.counts)
      .filter(([key]) => accept(key))
      .reduce((sum, [, n]) => sum + n, 0);
  }
}

/** "<status> <reason>" of an answer, or its transport error when none came. */
export function outcomeOf(answer: { status: number; reason: string | null; error: string | null }): string {
  if (answer.status === 0) return answer.error ?? 'no-answer';
  return answer.reason ? `${answer.status} ${answer.reason}` : String(answer.status);
}
