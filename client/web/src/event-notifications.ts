import type { EventView } from '../../src/sdk/index.js';
import { h, setStatus, statusLine } from './dom.js';
import { formatEventTime } from './format.js';

/** This browser's choice (not content): whether to notify, kept next to the app, never sent. */
const CHOICE_KEY = 'sealcam-notify-events';

/**
 * Notifications of new events while the app is open (Notification API). Only an event that arrived
 * live and whose record opened and verified is announced, with its verified kind, stream and time;
 * no picture (a thumbnail is shown only in the app, once it verified). Off until the user turns it on.
 */
export class EventNotifications {
  readonly element: HTMLElement;
  private readonly toggle: HTMLButtonElement;
  private readonly status: HTMLParagraphElement;

  constructor(private readonly cameraName: (deviceId: string, streamId?: string) => string) {
    this.toggle = h('button', { type: 'button', class: 'button secondary', 'data-testid': 'notify-toggle' });
    this.toggle.addEventListener('click', () => void this.flip());
    this.status = statusLine();
    this.element = h(
      'div',
      { class: 'notify-panel' },
      h('h3', {}, 'Notifications'),
      h(
        'p',
        { class: 'help' },
        'While this app is open, a new event of your cameras can be announced by the system, once it opened ' +
          'and verified: its kind, camera and time, never a picture.',
      ),
      this.toggle,
      this.status,
    );
    this.render();
  }

  private get supported(): boolean {
    return typeof Notification !== 'undefined';
  }

  private get on(): boolean {
    return (
      this.supported && Notification.permission === 'granted' && localStorage.getItem(CHOICE_KEY) === 'on'
    );
  }

  private render(): void {
    this.toggle.textContent = this.on ? 'Stop notifications' : 'Notify me of new events';
    this.toggle.disabled = !this.supported;
    this.element.dataset.notify = this.on ? 'on' : 'off';
    if (!this.supported) setStatus(this.status, 'This browser has no notifications.', 'warn');
  }

  private async flip(): Promise<void> {
    if (this.on) {
      localStorage.removeItem(CHOICE_KEY);
    } else {
      const permission = await Notification.requestPermission();
      if (permission === 'granted') localStorage.setItem(CHOICE_KEY, 'on');
      else setStatus(this.status, 'The browser did not allow notifications for this app.', 'warn');
    }
    this.render();
  }

  /** A live event verified: announce it (when on). */
  verified(view: EventView): void {
    if (!this.on) return;
    const { record } = view;
    new Notification(`${this.cameraName(view.deviceId, view.streamId)}: ${record.kind}`, {
      body: `${view.streamId}, ${formatEventTime(record.start, Date.now())} (verified)`,
      tag: view.eventId,
      icon: '/icon-192.png',
    });
  }
}
