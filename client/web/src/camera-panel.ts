import type { Camera } from '../../src/sdk/index.js';
import { CameraNames } from './camera-names.js';
import type { AppContext } from './context.js';
import { h } from './dom.js';
import { EventTimeline } from './event-timeline.js';
import { KeyPanel } from './key-panel.js';
import { renameButton } from './rename-form.js';
import { SharePanel } from './share-panel.js';

/**
 * One camera's section: name (renameable), access, its cameras' names, a notice line for availability, its events,
 * who may see it (and sharing), and its key verification.
 */
export class CameraPanel {
  readonly element: HTMLElement;
  readonly keys: KeyPanel;
  private readonly timeline: EventTimeline;
  private readonly share: SharePanel;
  private readonly heading: HTMLElement;
  private readonly notice: HTMLElement;
  private readonly names: CameraNames;
  private renderRename: () => void = () => undefined;

  constructor(
    private readonly context: AppContext,
    private camera: Camera,
    private readonly onRenamed: () => void,
  ) {
    const headingId = `camera-title-${camera.deviceId}`;
    this.heading = h('h3', { id: headingId, class: 'camera-name' }, camera.gatewayName ?? camera.name);
    this.names = new CameraNames(context.viewer, camera, onRenamed);
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
      this.details('Cameras', this.names.element),
      this.details('Events', this.timeline.element),
      this.details('Who can see this camera', this.share.element),
      this.details('Verify keys', this.keys.element),
    );
  }

  private details(title: string, body: HTMLElement): HTMLDetailsElement {
    return h('details', { class: 'panel', open: true }, h('summary', {}, title), body);
  }

  /**
   * The owner renames the gateway on the device, for every viewer (sealed, §8.5); a viewer it is
   * shared with keeps its own label, which it can rename while the device gives no name.
   */
  private renameControl(): HTMLElement {
    const holder = h('span', {});
    const render = () => {
      const { camera } = this;
      if (camera.access !== 'owner' && camera.gatewayName !== null) {
        holder.replaceChildren();
        return;
      }
      holder.replaceChildren(
        renameButton({
          id: `rename-${camera.deviceId}`,
          label: 'Gateway name',
          current: () => this.camera.gatewayName ?? this.camera.name,
          save: async (name) => {
            if (this.camera.access === 'owner') await this.names.rename(null, name);
            else await this.context.viewer.rename(this.camera.deviceId, name);
            this.onRenamed();
          },
        }),
      );
    };
    this.renderRename = render;
    render();
    return holder;
  }

  start(): void {
    this.timeline.start();
    this.share.start();
  }

  update(camera: Camera): void {
    this.camera = camera;
    this.heading.textContent = camera.gatewayName ?? camera.name;
    this.names.update(camera);
    this.renderRename();
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
