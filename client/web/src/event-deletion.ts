import type { DeviceId, EventId, Viewer } from '../../src/sdk/index.js';
import { h, setStatus, statusLine } from './dom.js';
import { describeError } from './notice.js';

/** What the deletion tools act on: the timeline's rows by event id, and its selection. */
export interface DeletionTarget {
  readonly selected: ReadonlySet<EventId>;
  /** The relay deleted these events: their rows go. */
  deleted(eventIds: readonly EventId[]): void;
}

/** A button that asks once more before it acts ("Delete …", then "Confirm: …"). */
function twoStep(
  label: () => string,
  testId: string,
  act: () => Promise<void>,
): { readonly element: HTMLButtonElement; reset(): void } {
  const button = h(
    'button',
    { type: 'button', class: 'button small danger', 'data-testid': testId },
    label(),
  );
  const reset = () => {
    button.dataset.confirm = 'false';
    button.textContent = label();
  };
  button.addEventListener('click', async () => {
    if (button.dataset.confirm !== 'true') {
      button.dataset.confirm = 'true';
      button.textContent = `Confirm: ${label().toLowerCase()}`;
      return;
    }
    try {
      await act();
    } finally {
      reset();
    }
  });
  return { element: button, reset };
}

/**
 * The owner's tools under a camera's events: delete the selected events, or every event recorded
 * before a day (local midnight), each in two steps, through the relay's delete route. The relay is
 * asked; nothing can prove it obeyed, and the status says only what it answered.
 */
export class EventDeletion {
  readonly element: HTMLElement;
  private readonly status = statusLine();
  private readonly selectedButton: ReturnType<typeof twoStep>;
  private readonly beforeButton: HTMLButtonElement;
  private readonly beforeTools: HTMLElement;
  /** One deletion at a time: both tools are off while one runs. */
  private busy = false;

  constructor(
    private readonly viewer: Viewer,
    private readonly deviceId: DeviceId,
    private readonly target: DeletionTarget,
  ) {
    this.selectedButton = twoStep(
      () => `Delete selected (${this.target.selected.size})`,
      'delete-selected',
      () => this.exclusive(() => this.deleteSelected()),
    );
    const dayId = `delete-before-${deviceId}`;
    const day = h('input', { type: 'date', id: dayId, 'data-testid': 'delete-before-date' });
    const before = twoStep(
      () => 'Delete all before this day',
      'delete-before',
      () => this.exclusive(() => this.deleteBefore(day.value)),
    );
    // A confirmation was for the day shown then: another day asks again.
    day.addEventListener('input', () => before.reset());
    this.beforeButton = before.element;
    this.beforeTools = h(
      'span',
      { class: 'delete-before-tools' },
      h('label', { for: dayId }, 'Events before'),
      day,
      before.element,
    );
    this.element = h(
      'div',
      { class: 'event-deletion', 'data-testid': 'event-deletion' },
      this.selectedButton.element,
      this.beforeTools,
      this.status,
    );
    this.selectionChanged();
  }

  /**
   * Whether the timeline shows every event of the gateway: "Delete all before this day" deletes
   * every camera's events, so it is offered only then (not on one camera's page or a filtered list).
   */
  setScope(whole: boolean): void {
    this.beforeTools.hidden = !whole;
  }

  /** The selection changed: the button says how many, and is off with none. */
  selectionChanged(): void {
    if (this.busy) return;
    this.selectedButton.reset();
    this.selectedButton.element.disabled = this.target.selected.size === 0;
  }

  private async exclusive(run: () => Promise<void>): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.selectedButton.element.disabled = true;
    this.beforeButton.disabled = true;
    try {
      await run();
    } finally {
      this.busy = false;
      this.beforeButton.disabled = false;
      this.selectionChanged();
    }
  }

  private async deleteSelected(): Promise<void> {
    const ids = [...this.target.selected];
    const done: EventId[] = [];
    let failure: unknown;
    for (const eventId of ids) {
      try {
        await this.viewer.deleteEvent(this.deviceId, eventId);
        done.push(eventId);
      } catch (error) {
        failure = error;
      }
    }
    this.target.deleted(done);
    setStatus(
      this.status,
      failure === undefined
        ? `Deleted ${done.length} event${done.length === 1 ? '' : 's'}.`
        : `Deleted ${done.length} of ${ids.length}. ${describeError(failure).message}`,
      failure === undefined ? 'ok' : 'warn',
    );
  }

  private async deleteBefore(day: string): Promise<void> {
    if (!/^\d{4}-\d\d-\d\d$/.test(day)) {
      setStatus(this.status, 'Choose a day first.', 'warn');
      return;
    }
    const [year, month, date] = day.split('-').map(Number) as [number, number, number];
    const time = new Date(year, month - 1, date).getTime();
    try {
      const { deleted, more, eventIds } = await this.viewer.deleteEventsBefore(this.deviceId, time);
      // Only the rows of the events the relay answered for: not newer ones, not ones it kept.
      this.target.deleted(eventIds);
      setStatus(
        this.status,
        `Deleted ${deleted} event${deleted === 1 ? '' : 's'} recorded before ${day}${more ? '; some remain, ask again' : ''}.`,
        more ? 'warn' : 'ok',
      );
    } catch (error) {
      setStatus(this.status, `Not deleted. ${describeError(error).message}`, 'error');
    }
  }
}
