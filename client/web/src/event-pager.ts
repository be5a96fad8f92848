/**
 * Paging state of a camera's event timeline, newest first. The relay lists events by public time,
 * oldest first, within [from, to] and continues with a cursor; to go back in time from the newest,
 * the pager asks for time windows just below what it already holds, each one read to its end
 * before any of it is released (a window's pages come oldest first), so what is held is always one
 * unbroken stretch of time from now backwards. Windows widen while they
 * come back sparse and narrow when they are dense; when a window is empty and the oldest event is
 * not yet known, one probe (from 0, limit 1) finds it, so an empty past costs one request, not a
 * crawl back to 1970. Pure (no DOM, no network): the caller runs the queries it returns.
 */

export interface Listing {
  readonly eventId: string;
  readonly streamId: string;
  readonly time: number;
}

export interface EventQuery {
  readonly from: number;
  readonly to?: number;
  readonly limit: number;
  readonly after?: string;
}

export interface EventPage<L extends Listing> {
  readonly events: readonly L[];
  readonly next: string | null;
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const MAX_WINDOW = 30 * 24 * HOUR;

interface OpenWindow<L> {
  readonly from: number;
  readonly to: number | undefined;
  after?: string;
  count: number;
  dense: boolean;
  /** Events of the window read so far, released when the window is complete. */
  readonly buffer: L[];
}

/** Newest first; equal times by event id, so the order is stable. */
export function compareListings(a: Listing, b: Listing): number {
  if (a.time !== b.time) return b.time - a.time;
  return a.eventId < b.eventId ? 1 : a.eventId > b.eventId ? -1 : 0;
}

export class EventPager<L extends Listing> {
  private readonly byId = new Map<string, L>();
  /** Exclusive upper bound of the past not read yet; undefined until the first window is done. */
  private upper: number | undefined;
  private window: number;
  private current: OpenWindow<L> | undefined;
  /** The time of the oldest event the relay held when probed. */
  private floor: number | undefined;
  private probing = false;
  private finished = false;

  constructor(
    private readonly now: () => number,
    readonly pageSize = 50,
    initialWindow = HOUR,
    /** The newest time to list (a chosen day's end): the first window ends there instead of being open. */
    private readonly until?: number,
  ) {
    this.window = initialWindow;
  }

  /** True while a window is partly read (its events are not released yet). */
  get reading(): boolean {
    return this.current !== undefined;
  }

  /** True when nothing older is left to load. */
  get done(): boolean {
    return this.finished;
  }

  get size(): number {
    return this.byId.size;
  }

  has(eventId: string): boolean {
    return this.byId.has(eventId);
  }

  /** Everything held, newest first. */
  list(): L[] {
    return [...this.byId.values()].sort(compareListings);
  }

  /** The oldest event held (one pass, no sort), or undefined when none is. */
  oldest(): L | undefined {
    let oldest: L | undefined;
    for (const event of this.byId.values()) if (!oldest || compareListings(event, oldest) > 0) oldest = event;
    return oldest;
  }

  /** The query that loads (more of) the past, or null when there is none. */
  nextQuery(): EventQuery | null {
    if (this.finished) return null;
    if (this.probing && this.upper !== undefined) return { from: 0, to: this.upper - 1, limit: 1 };
    if (!this.current) {
      const top = this.upper ?? (this.until === undefined ? this.now() : this.until + 1);
      let from = Math.max(0, top - this.window);
      if (this.floor !== undefined) from = Math.max(from, Math.min(this.floor, top - 1));
      this.current = {
        from,
        // The first window is open-ended (unless bounded): a camera whose clock runs ahead still shows up.
        to: this.upper === undefined ? this.until : this.upper - 1,
        count: 0,
        dense: false,
        buffer: [],
      };
    }
    const { from, to, after } = this.current;
    return {
      from,
      ...(to !== undefined ? { to } : {}),
      limit: this.pageSize,
      ...(after !== undefined ? { after } : {}),
    };
  }

  /**
   * The answer to the last `nextQuery`. Returns the events that became visible, newest first: all
   * of a window's new events once its last page is in, nothing before.
   */
  accept(page: EventPage<L>): L[] {
    if (this.finished) return [];
    if (this.probing) {
      this.probing = false;
      const oldest = page.events[0];
      if (!oldest || this.upper === undefined || oldest.time >= this.upper) this.finished = true;
      else this.floor = oldest.time;
      return [];
    }
    const window = this.current;
    if (!window) return [];
    window.count += page.events.length;
    window.buffer.push(...page.events);
    if (page.next) {
      window.after = page.next;
      window.dense = true;
      return [];
    }
    const added = this.merge(window.buffer);
    this.current = undefined;
    this.upper = window.from;
    if (window.dense) this.window = Math.max(MINUTE, Math.floor(this.window / 2));
    else if (window.count < this.pageSize / 2) this.window = Math.min(MAX_WINDOW, this.window * 2);
    if (window.from <= 0 || (this.floor !== undefined && window.from <= this.floor)) this.finished = true;
    else if (window.count === 0 && this.floor === undefined) this.probing = true;
    return added;
  }

  /**
   * The last query failed: its window is dropped (what it read is forgotten, none of it was released)
   * and asked again from its start by the next `nextQuery`.
   */
  abandon(): void {
    this.current = undefined;
  }

  /** Query for events newer than the newest held (live catch-up after missed notices). */
  headQuery(after?: string): EventQuery {
    const newest = this.list()[0];
    const from = newest ? newest.time : (this.upper ?? this.now() - this.window);
    return { from, limit: this.pageSize, ...(after !== undefined ? { after } : {}) };
  }

  /**
   * Forgets all but the newest `keep` events (a long-open page stays bounded); what it held stays one
   * unbroken stretch from now backwards, and loading older events fetches the forgotten ones again.
   * Returns the forgotten ones; none while a window is being read.
   */
  trim(keep: number): L[] {
    if (this.current || this.probing || this.byId.size <= keep || keep < 1) return [];
    const ordered = this.list();
    const dropped = ordered.slice(keep);
    for (const event of dropped) this.byId.delete(event.eventId);
    // Events at the oldest kept time that sort after it were dropped: the next window includes that time.
    this.upper = ordered[keep - 1]!.time + 1;
    this.finished = false;
    return dropped;
  }

  /** Adds events from a live notice or a head query; returns the new ones, newest first. */
  insert(events: readonly L[]): L[] {
    return this.merge(events);
  }

  private merge(events: readonly L[]): L[] {
    const added: L[] = [];
    for (const event of events) {
      if (this.byId.has(event.eventId)) continue;
      this.byId.set(event.eventId, event);
      added.push(event);
    }
    return added.sort(compareListings);
  }
}
