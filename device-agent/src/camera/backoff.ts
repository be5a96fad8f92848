/** Delay before retry number `failures` (1, 2, …): `minMs` doubled each time, at most `maxMs`. */
export function backoffDelay(failures: number, minMs: number, maxMs: number): number {
  return Math.min(maxMs, minMs * 2 ** Math.min(Math.max(0, failures - 1), 30));
}

/** 250 → "250 ms", 1500 → "1.5 s", 30000 → "30 s", 300000 → "5 min". */
export function formatDuration(ms: number): string {
  if (ms >= 120_000) return `${Number((ms / 60_000).toFixed(1))} min`;
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Number((ms / 1000).toFixed(1))} s`;
}
