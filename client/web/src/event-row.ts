import type { DeviceId, EventId, EventListing, EventView } from '../../src/sdk/index.js';
import type { AppContext } from './context.js';
import { h, replace } from './dom.js';
import { formatDuration, formatEventTime, formatScore } from './format.js';
import { describeError, isNotSharedWithYou, isVerificationFailure } from './notice.js';
import { ThumbnailCanvas } from './thumbnail-canvas.js';
import type { RowFacts } from './timeline-filter.js';

/**
 * One event of the timeline. What it shows comes from the verified, device-signed record (time,
 * stream, kind, score, duration) and the verified thumbnail; until they verify it shows nothing of
 * the event, and if they fail it shows a warning in their place, never the unverified data.
 */
export class EventRow {
  readonly element: HTMLLIElement;
  private readonly button: HTMLButtonElement;
  private readonly thumb: HTMLElement;
  private readonly meta: HTMLElement;
  private view: EventView | undefined;
  private thumbnail: ThumbnailCanvas | undefined;
  private loading = false;
  private box: HTMLInputElement | undefined;

  constructor(
    private readonly context: AppContext,
    readonly deviceId: DeviceId,
    readonly listing: EventListing,
    private readonly hooks: {
      /** Called once the record verified (not for a refused or unavailable one). */
      readonly onVerified?: (view: EventView) => void;
      /** Called when the event is the camera's own but not sealed for this viewer. */
      readonly onNotShared?: () => void;
      /** Owner: the row was selected or unselected (or deleted: unselected). */
      readonly onSelect?: (eventId: EventId, selected: boolean) => void;
    } = {},
  ) {
    this.thumb = h('span', { class: 'thumb thumb-placeholder', 'aria-hidden': 'true' });
    this.meta = h('span', { class: 'event-meta' }, h('span', { class: 'event-pending' }, 'Verifying event…'));
    this.button = h(
      'button',
      { type: 'button', class: 'event-open', disabled: true, 'aria-label': 'Event (verifying)' },
      this.thumb,
      this.meta,
    );
    this.button.addEventListener('click', () => {
      if (this.view) this.context.playClip(this.view);
    });
    this.element = h(
      'li',
      {
        class: 'event-row',
        'data-testid': 'event-row',
        'data-event-id': listing.eventId,
        'data-state': 'pending',
        'data-time': String(listing.time),
        'data-stream-id': listing.streamId,
      },
      this.button,
    );
    if (context.isOwner(deviceId)) this.element.append(this.selectBox(), this.deleteButton());
  }

  /** Owner: a checkbox that adds the event to the timeline's selection (to delete several at once). */
  private selectBox(): HTMLInputElement {
    const box = h('input', {
      type: 'checkbox',
      class: 'event-select',
      'data-testid': 'event-select',
      // Each box its own name: the time the relay lists (the verified time shows in the row).
      'aria-label': `Select the event listed at ${formatEventTime(this.listing.time, Date.now())}`,
    });
    box.addEventListener('change', () => this.hooks.onSelect?.(this.listing.eventId, box.checked));
    this.box = box;
    return box;
  }

  /** The relay deleted the event: the row goes. */
  deleted(): void {
    this.element.dataset.state = 'deleted';
    this.hooks.onSelect?.(this.listing.eventId, false);
    this.close();
  }

  /** Owner: "Delete", then "Confirm delete" (two steps); the row goes once the relay deleted it. */
  private deleteButton(): HTMLButtonElement {
    const button = h(
      'button',
      { type: 'button', class: 'button small secondary event-delete', 'data-testid': 'event-delete' },
      'Delete',
    );
    button.setAttribute('aria-label', 'Delete this event from the relay');
    button.addEventListener('click', () => {
      if (button.dataset.confirm !== 'true') {
        button.dataset.confirm = 'true';
        button.textContent = 'Confirm delete';
        return;
      }
      button.disabled = true;
      this.context.viewer.deleteEvent(this.deviceId, this.listing.eventId).then(
        () => this.deleted(),
        (error: unknown) => {
          button.disabled = false;
          button.dataset.confirm = 'false';
          button.textContent = 'Delete';
          replace(
            this.meta,
            h('span', { class: 'availability-notice' }, `Not deleted. ${describeError(error).message}`),
          );
        },
      );
    });
    return button;
  }

  /** Opens the record, then the thumbnail (a few rows at a time). */
  load(): Promise<void> {
    if (this.loading || this.view) return Promise.resolve();
    this.loading = true;
    this.element.querySelector('.row-retry')?.remove();
    this.element.dataset.state = 'pending';
    return this.context.queue
      .run(() => this.open())
      .finally(() => {
        this.loading = false;
      });
  }

  private get cameraName(): string {
    return this.context.cameraName(this.deviceId);
  }

  private async open(): Promise<void> {
    let view: EventView;
    try {
      view = await this.context.viewer.openEvent(this.deviceId, this.listing.eventId);
    } catch (error) {
      this.fail(error, 'record');
      return;
    }
    this.view = view;
    this.renderRecord(view);
    this.hooks.onVerified?.(view);
    if (!view.record.thumbnail) {
      replace(this.thumb, 'No picture');
      this.thumb.className = 'thumb thumb-none';
      return;
    }
    try {
      const bytes = await this.context.viewer.thumbnail(this.deviceId, this.listing.eventId);
      const thumbnail = new ThumbnailCanvas(
        `Thumbnail: ${view.record.kind} at ${formatEventTime(view.record.start, Date.now())}`,
        { class: 'event-thumbnail', 'data-testid': 'event-thumbnail' },
      );
      this.thumbnail = thumbnail;
      this.thumb.className = 'thumb';
      this.thumb.removeAttribute('aria-hidden');
      replace(this.thumb, thumbnail.element);
      thumbnail.show(bytes, () => {
        thumbnail.clear();
        replace(this.thumb, 'Picture unreadable');
        this.thumb.className = 'thumb thumb-none';
      });
    } catch (error) {
      this.fail(error, 'thumbnail');
    }
  }

  private renderRecord(view: EventView): void {
    const { record } = view;
    const now = Date.now();
    const when = formatEventTime(record.start, now);
    const duration = formatDuration(record.end - record.start);
    const labels = record.labels.length > 0 ? ` (${record.labels.join(', ')})` : '';
    replace(
      this.meta,
      h(
        'span',
        { class: 'event-line' },
        h('time', { class: 'event-time', datetime: new Date(record.start).toISOString() }, when),
        h('span', { class: 'event-kind' }, `${record.kind}${labels}`),
      ),
      h(
        'span',
        { class: 'event-line event-details' },
        h('span', { class: 'event-stream' }, this.context.cameraName(this.deviceId, view.streamId)),
        h('span', { class: 'event-score' }, `score ${formatScore(record.score)}`),
        h('span', { class: 'event-duration' }, duration),
        record.clip ? h('span', { class: 'event-clip' }, '▶ clip') : h('span', {}, 'no clip'),
      ),
    );
    this.element.dataset.state = 'verified';
    this.element.dataset.kind = record.kind;
    this.button.disabled = !record.clip;
    this.button.setAttribute(
      'aria-label',
      `${record.kind} at ${when}, ${this.context.cameraName(this.deviceId, view.streamId)}, score ${formatScore(record.score)}, ${duration}${
        record.clip ? ': play clip' : ', no clip'
      }`,
    );
  }

  private fail(error: unknown, what: 'record' | 'thumbnail'): void {
    const notice = describeError(error);
    if (isNotSharedWithYou(error)) {
      // The camera's own, correctly signed event, just not sealed for this viewer: no alarm.
      this.element.dataset.state = 'not-shared';
      this.thumb.className = 'thumb thumbnail-unshared';
      this.thumb.dataset.reason = notice.reason;
      replace(this.thumb, 'Not shared with you');
      replace(
        this.meta,
        h(
          'span',
          { class: 'event-unshared availability-notice', 'data-reason': notice.reason },
          `${notice.message} This event was recorded while the camera was not shared with you.`,
        ),
      );
      this.button.disabled = true;
      this.button.setAttribute('aria-label', 'Event not shared with you');
      this.hooks.onNotShared?.();
      return;
    }
    if (isVerificationFailure(error)) {
      const where =
        what === 'record'
          ? `${this.cameraName} · event listed at ${formatEventTime(this.listing.time, Date.now())}`
          : `${this.cameraName} · thumbnail of the event at ${formatEventTime(
              this.view?.record.start ?? this.listing.time,
              Date.now(),
            )}`;
      this.context.warnings.report(where, error);
      this.thumb.className = 'thumb thumbnail-rejected';
      this.thumb.dataset.reason = error.reason;
      this.thumb.dataset.testid = 'thumbnail-rejected';
      this.thumb.removeAttribute('aria-hidden');
      this.thumb.setAttribute('role', 'img');
      this.thumb.setAttribute('aria-label', `Not shown: ${error.userMessage}`);
      replace(this.thumb, h('span', { class: 'rejected-icon', 'aria-hidden': 'true' }, '⚠'), 'Not shown');
      if (what === 'record') {
        this.element.dataset.state = 'rejected';
        replace(
          this.meta,
          h('span', { class: 'event-rejected' }, `Not verified, not shown. ${error.userMessage}`),
        );
        this.button.disabled = true;
        this.button.setAttribute('aria-label', `Event not shown: ${error.userMessage}`);
      }
      return;
    }
    // Unavailable (relay refused or unreachable) or unexpected: say so quietly and offer a retry.
    const retry = h('button', { type: 'button', class: 'button small' }, 'Retry');
    retry.addEventListener('click', (event) => {
      event.stopPropagation();
      this.thumbnail?.clear();
      this.view = undefined;
      void this.load();
    });
    if (what === 'record') {
      this.element.dataset.state = 'unavailable';
      replace(this.meta, h('span', { class: 'event-unavailable availability-notice' }, notice.message));
    } else {
      this.thumb.className = 'thumb thumb-none';
      replace(this.thumb, 'Picture unavailable');
    }
    // The retry sits outside the row's button (a button cannot hold another).
    this.element.querySelector('.row-retry')?.remove();
    this.element.append(h('span', { class: 'row-retry' }, retry));
  }

  /** What the row is known to be: the relay's listing, then the verified record's own word. */
  get facts(): RowFacts {
    const view = this.view;
    return view
      ? { streamId: view.streamId, time: view.record.start, kind: view.record.kind }
      : { streamId: this.listing.streamId, time: this.listing.time };
  }

  /** Owner: takes the row out of the selection (a filter hid it, or it left the timeline). */
  unselect(): void {
    if (!this.box?.checked) return;
    this.box.checked = false;
    this.hooks.onSelect?.(this.listing.eventId, false);
  }

  close(): void {
    this.thumbnail?.clear();
    this.element.remove();
  }
}
