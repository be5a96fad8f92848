import type { DeviceId, EventId, EventListing, EventView, Subscription } from '../../src/sdk/index.js';
import type { AppContext } from './context.js';
import { h, setStatus, statusLine } from './dom.js';
import { EventDeletion } from './event-deletion.js';
import { EventPager } from './event-pager.js';
import { EventRow } from './event-row.js';
import { describeError } from './notice.js';
import { isFiltered, rowMatches, type TimelineFilter } from './timeline-filter.js';

/** Events asked for per request (the relay allows up to 500). */
const QUERY_LIMIT = 100;
/** Rows one "load more" aims to add. */
const ROWS_PER_LOAD = 20;
/** Requests one "load more" may make (through dense windows or empty stretches of time). */
const MAX_REQUESTS_PER_LOAD = 10;
/** Catch-up for events whose live notice was missed (reconnects). */
const HEAD_REFRESH_MS = 30_000;
/**
 * Rows kept while events arrive live: the oldest go beyond it (loading older brings them back), so a
 * page left open for days stays bounded. Loading older raises it, up to MAX_ROWS.
 */
const LIVE_ROWS = 100;
const MAX_ROWS = 1000;

export type { TimelineFilter } from './timeline-filter.js';

/**
 * A camera's events, newest first: pages back in time on "Load older events", new ones arrive live
 * through `watchEvents` (and a periodic catch-up). Each row opens and verifies its own event.
 */
export class EventTimeline {
  readonly element: HTMLElement;
  private pager = new EventPager<EventListing>(() => Date.now(), QUERY_LIMIT);
  private filter: TimelineFilter = {};
  private cap = LIVE_ROWS;
  /** Kinds of the verified events (for a filter's choices). */
  readonly kinds = new Set<string>();
  private readonly rows = new Map<string, EventRow>();
  private readonly list: HTMLOListElement;
  private readonly more: HTMLButtonElement;
  private readonly status: HTMLParagraphElement;
  private readonly empty: HTMLParagraphElement;
  private readonly retention: HTMLParagraphElement;
  private watch: Subscription | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private busy = false;
  private closed = false;
  private notShared = 0;
  private readonly notSharedLine: HTMLParagraphElement;
  /** Owner: the rows selected for deletion, and the tools that delete them. */
  private readonly selected = new Set<EventId>();
  private readonly deletion: EventDeletion | undefined;

  constructor(
    private readonly context: AppContext,
    readonly deviceId: DeviceId,
    /** The owner gets the deletion tools (the panel knows before the app has registered the camera). */
    owner = false,
  ) {
    this.list = h('ol', { class: 'event-list', 'aria-label': 'Events, newest first' });
    this.more = h(
      'button',
      { type: 'button', class: 'button secondary', 'data-testid': 'load-more' },
      'Load older events',
    );
    this.more.addEventListener('click', () => void this.loadMore());
    this.status = statusLine();
    this.empty = h('p', { class: 'empty', hidden: true }, 'No events yet.');
    this.retention = h('p', { class: 'help', 'data-testid': 'retention', hidden: true });
    this.notSharedLine = h('p', { class: 'help', 'data-testid': 'not-shared-summary', hidden: true });
    this.deletion = owner
      ? new EventDeletion(context.viewer, deviceId, {
          selected: this.selected,
          deleted: (eventIds) => {
            for (const eventId of eventIds) this.rows.get(eventId)?.deleted();
          },
        })
      : undefined;
    this.element = h(
      'div',
      { class: 'timeline' },
      this.list,
      this.notSharedLine,
      this.empty,
      h('div', { class: 'timeline-actions' }, this.more, this.status),
      this.deletion?.element ?? '',
      this.retention,
    );
  }

  private started = false;

  start(): void {
    this.started = true;
    void this.loadMore();
    try {
      this.watch = this.context.viewer.watchEvents(this.deviceId, (notice) =>
        this.insert(
          [{ eventId: notice.eventId, streamId: notice.streamId, time: notice.time, bytes: 0 }],
          true,
        ),
      );
    } catch (error) {
      setStatus(this.status, describeError(error).message, 'warn');
    }
    this.timer = setInterval(() => {
      if (document.visibilityState !== 'hidden') void this.refreshHead();
    }, HEAD_REFRESH_MS);
  }

  /** Loads older events until a page's worth arrived or nothing older is left. */
  async loadMore(): Promise<void> {
    if (this.busy || this.closed) return;
    this.busy = true;
    this.more.disabled = true;
    setStatus(this.status, 'Loading events…');
    let added = 0;
    // A new day chosen meanwhile replaces the pager: this load stops and one for the day starts.
    const pager = this.pager;
    try {
      for (
        let requests = 0;
        requests < MAX_REQUESTS_PER_LOAD && (added < ROWS_PER_LOAD || this.pager.reading);
        requests++
      ) {
        const query = this.pager.nextQuery();
        if (!query) break;
        const page = await this.context.viewer.events(this.deviceId, query);
        if (this.closed || pager !== this.pager) return;
        this.showRetention(page.retentionMs);
        const fresh = this.pager.accept(page);
        added += fresh.length;
        this.addRows(fresh);
        if (this.beforeDay()) break;
      }
      this.cap = Math.min(MAX_ROWS, Math.max(this.cap, this.pager.size));
      setStatus(
        this.status,
        this.beforeDay()
          ? 'Every event of this day is loaded.'
          : this.pager.done
            ? this.pager.size > 0
              ? 'No older events.'
              : ''
            : added === 0
              ? 'Nothing in this stretch; look further back.'
              : '',
      );
    } catch (error) {
      // The window half read is asked again next time; meanwhile live rows can still be trimmed.
      if (pager === this.pager) pager.abandon();
      setStatus(this.status, `Could not load events. ${describeError(error).message}`, 'warn');
    } finally {
      this.busy = false;
      if (pager !== this.pager && !this.closed) void this.loadMore();
      this.more.disabled = this.finished();
      this.more.hidden = this.finished();
      this.updateEmpty();
    }
  }

  /** Nothing more to load: the relay has nothing older, or the chosen day is fully loaded. */
  private finished(): boolean {
    return this.pager.done || this.beforeDay();
  }

  /** With a day chosen: the oldest event held is from before it (the whole day is held). */
  private beforeDay(): boolean {
    const day = this.filter.day;
    if (!day) return false;
    const oldest = this.pager.oldest();
    return oldest !== undefined && oldest.time < day.from;
  }

  /**
   * Shows only the events that match. A change of day starts the timeline again from that day's end
   * (the relay lists by time); camera and kind only hide rows.
   */
  setFilter(filter: TimelineFilter): void {
    const dayChanged = filter.day?.from !== this.filter.day?.from || filter.day?.to !== this.filter.day?.to;
    if (!dayChanged && filter.streamId === this.filter.streamId && filter.kind === this.filter.kind) return;
    this.filter = filter;
    // What is selected under one filter is not what the next one shows: the selection starts again.
    for (const eventId of [...this.selected]) this.rows.get(eventId)?.unselect();
    this.deletion?.setScope(filter.streamId === undefined && filter.day === undefined);
    if (dayChanged) {
      for (const row of this.rows.values()) row.close();
      this.rows.clear();
      this.selected.clear();
      this.deletion?.selectionChanged();
      this.notShared = 0;
      this.notSharedLine.hidden = true;
      const day = filter.day;
      this.pager = new EventPager<EventListing>(() => Date.now(), QUERY_LIMIT, undefined, day?.to);
      this.cap = LIVE_ROWS;
      if (this.started) void this.loadMore();
      return;
    }
    for (const row of this.rows.values()) this.applyFilter(row);
    this.updateEmpty();
  }

  private applyFilter(row: EventRow): void {
    const shown = rowMatches(this.filter, row.facts);
    row.element.classList.toggle('filtered-out', !shown);
    if (!shown) row.unselect();
  }

  private updateEmpty(): void {
    const shown = [...this.rows.values()].some(
      (row) =>
        row.element.dataset.state !== 'deleted' && !row.element.hidden && rowMatches(this.filter, row.facts),
    );
    this.empty.hidden = shown || !this.finished();
    this.empty.textContent = isFiltered(this.filter) ? 'No events match.' : 'No events yet.';
  }

  /** The relay's retention, as it states it (its word, about itself). */
  private showRetention(ms: number | null): void {
    if (ms === null || ms <= 0) return;
    const round = (value: number) => Math.round(value * 10) / 10;
    const span =
      ms >= 86_400_000
        ? `${round(ms / 86_400_000)} days`
        : ms >= 3_600_000
          ? `${round(ms / 3_600_000)} hours`
          : `${Math.max(1, Math.round(ms / 60_000))} minutes`;
    this.retention.textContent = `The relay keeps this camera's events for ${span} after they are recorded, then deletes them.`;
    this.retention.dataset.retentionMs = String(ms);
    this.retention.hidden = false;
  }

  private async refreshHead(): Promise<void> {
    // A chosen day is history: nothing newer belongs to it.
    if (this.closed || this.filter.day) return;
    try {
      let after: string | undefined;
      for (let requests = 0; requests < MAX_REQUESTS_PER_LOAD; requests++) {
        const page = await this.context.viewer.events(this.deviceId, this.pager.headQuery(after));
        if (this.closed) return;
        this.insert(page.events);
        if (!page.next) break;
        after = page.next;
      }
    } catch {
      // Availability problems show on the camera's notice (stream polling); the next refresh retries.
    }
  }

  /** `live`: notices of new events (announced once verified), not a catch-up of the listing. */
  private insert(events: readonly EventListing[], live = false): void {
    if (this.filter.day) return;
    this.addRows(this.pager.insert(events), live);
    // The oldest rows go beyond the cap (their thumbnails are released): "load older" brings them back.
    for (const listing of this.pager.trim(this.cap)) {
      const row = this.rows.get(listing.eventId);
      if (row?.element.dataset.state === 'not-shared') this.notShared -= 1;
      row?.unselect();
      row?.close();
      this.rows.delete(listing.eventId);
    }
    this.showNotShared();
    if (!this.pager.done) {
      this.more.hidden = false;
      this.more.disabled = this.busy;
    }
    this.deletion?.selectionChanged();
    this.updateEmpty();
  }

  /** Adds rows for new events at their place (newest first), without moving existing rows. */
  private addRows(fresh: readonly EventListing[], live = false): void {
    if (fresh.length === 0) return;
    const order = this.pager.list();
    const position = new Map(order.map((listing, index) => [listing.eventId, index]));
    for (const listing of fresh) {
      const row = new EventRow(this.context, this.deviceId, listing, {
        ...(live ? { onVerified: (view: EventView) => this.context.liveEventVerified(view) } : {}),
        onNotShared: () => this.collapseNotShared(row),
        onSelect: (eventId, selected) => {
          if (selected) this.selected.add(eventId);
          else this.selected.delete(eventId);
          this.deletion?.selectionChanged();
        },
      });
      this.rows.set(listing.eventId, row);
      const index = position.get(listing.eventId) ?? order.length;
      let before: Element | null = null;
      for (let next = index + 1; next < order.length; next++) {
        const held = this.rows.get(order[next]!.eventId);
        if (held?.element.isConnected) {
          before = held.element;
          break;
        }
      }
      this.list.insertBefore(row.element, before);
      this.applyFilter(row);
      void row.load().then(() => {
        if (row.facts.kind !== undefined) this.kinds.add(row.facts.kind);
        this.applyFilter(row);
        this.updateEmpty();
      });
    }
  }

  /**
   * An event the camera recorded while it was not shared with this viewer (authentic, not sealed for
   * it): no row of its own, one line counts them all.
   */
  private collapseNotShared(row: EventRow): void {
    row.element.hidden = true;
    this.notShared += 1;
    this.showNotShared();
    this.empty.hidden = true;
  }

  private showNotShared(): void {
    this.notSharedLine.hidden = this.notShared === 0;
    this.notSharedLine.textContent = `${this.notShared} ${
      this.notShared === 1 ? 'event is' : 'events are'
    } not shared with you (recorded before your access began, or after it ended)`;
  }

  close(): void {
    this.closed = true;
    this.watch?.close();
    if (this.timer) clearInterval(this.timer);
    for (const row of this.rows.values()) row.close();
    this.rows.clear();
  }
}
