import type { Camera } from '../../src/sdk/index.js';
import type { AppContext } from './context.js';
import { h, setStatus, statusLine } from './dom.js';
import { EventTimeline } from './event-timeline.js';
import { KeyPanel } from './key-panel.js';
import { describeError } from './notice.js';
import { SharePanel } from './share-panel.js';

/**
 * One camera's section: name (renameable), access, a notice line for availability, its events,
 * who may see it (and sharing), and its key verification.
 */
export class CameraPanel {
  readonly element: HTMLElement;
  readonly keys: KeyPanel;
  private readonly timeline: EventTimeline;
  private readonly share: SharePanel;
  private readonly heading: HTMLElement;
  private readonly notice: HTMLElement;

  constructor(
    private readonly context: AppContext,
    private camera: Camera,
    private readonly onRenamed: () => void,
  ) {
    const headingId = `camera-title-${camera.deviceId}`;
    this.heading = h('h3', { id: headingId, class: 'camera-name' }, camera.name);
    this.notice = h('p', { class: 'availability-notice', role: 'status', hidden: true });
    this.timeline = new EventTimeline(context, camera.deviceId);
    this.share = new SharePanel(context.viewer, camera);
    this.keys = new KeyPanel(camera, context.viewer.fingerprint);
    this.element = h(
      'section',
      {
        class: 'camera-panel',
        id: `camera-${camera.deviceId}`,
        'data-testid': 'camera-panel',
        'data-device-id': camera.deviceId,
        'aria-labelledby': headingId,
      },
      h(
        'header',
        { class: 'camera-header' },
        this.heading,
        h('span', { class: 'badge' }, camera.access === 'owner' ? 'owner' : 'shared with you'),
        this.renameControl(),
      ),
      this.notice,
      this.details('Events', this.timeline.element),
      this.details('Who can see this camera', this.share.element),
      this.details('Verify keys', this.keys.element),
    );
  }

  private details(title: string, body: HTMLElement): HTMLDetailsElement {
    return h('details', { class: 'panel', open: true }, h('summary', {}, title), body);
  }

  private renameControl(): HTMLElement {
    const holder = h('span', { class: 'rename' });
    const button = h('button', { type: 'button', class: 'button small secondary' }, 'Rename');
    button.addEventListener('click', () => {
      const inputId = `rename-${this.camera.deviceId}`;
      const input = h('input', { id: inputId, value: this.camera.name, maxlength: '64', required: true });
      const save = h('button', { type: 'submit', class: 'button small' }, 'Save');
      const cancel = h('button', { type: 'button', class: 'button small secondary' }, 'Cancel');
      const status = statusLine();
      const form = h(
        'form',
        { class: 'rename-form' },
        h('label', { for: inputId, class: 'visually-hidden' }, 'Camera name'),
        input,
        save,
        cancel,
        status,
      );
      const restore = () => {
        form.replaceWith(button);
        button.focus();
      };
      cancel.addEventListener('click', restore);
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const name = input.value.trim();
        if (!name) return;
        try {
          await this.context.viewer.rename(this.camera.deviceId, name);
          restore();
          this.onRenamed();
        } catch (error) {
          setStatus(status, describeError(error).message, 'error');
        }
      });
      button.replaceWith(form);
      input.focus();
      input.select();
    });
    holder.append(button);
    return holder;
  }

  start(): void {
    this.timeline.start();
    this.share.start();
  }

  update(camera: Camera): void {
    this.camera = camera;
    this.heading.textContent = camera.name;
  }

  /** An availability message for the camera (relay unreachable, no grant…), or undefined to clear it. */
  setNotice(message: string | undefined): void {
    this.notice.hidden = message === undefined;
    this.notice.textContent = message ?? '';
  }

  close(): void {
    this.timeline.close();
    this.share.close();
    this.element.remove();
  }
}
