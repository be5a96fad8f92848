/**
 * Bytes of upload bodies being received, relay-wide and per source address. A body is read into
 * memory whole before its checks (quota, signature) run, so its declared size (or, without one, the
 * route's body limit) is reserved before the first byte is read, and given back when the request
 * ends however it ends. A source over its share is refused (429) before the relay-wide budget is
 * touched; the relay-wide budget spent is 503.
 */
export class UploadBudget {
  private total = 0;
  // An entry only while a reservation is held (a request in flight): bounded by the socket cap.
  private readonly bySource = new Map<string, number>();

  constructor(private readonly limits: { readonly total: number; readonly perSource: number }) {}

  /** Reserves `bytes` for `source`: the (idempotent) release, or which budget is spent. */
  reserve(source: string, bytes: number): (() => void) | 'source' | 'relay' {
    const held = this.bySource.get(source) ?? 0;
    if (held + bytes > this.limits.perSource) return 'source';
    if (this.total + bytes > this.limits.total) return 'relay';
    this.total += bytes;
    this.bySource.set(source, held + bytes);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total -= bytes;
      const left = (this.bySource.get(source) ?? bytes) - bytes;
      if (left > 0) this.bySource.set(source, left);
      else this.bySource.delete(source);
    };
  }

  /** Bytes reserved now, all sources together. */
  get inFlight(): number {
    return this.total;
  }
}
