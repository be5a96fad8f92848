import { type Camera, ViewerError } from '../../src/sdk/index.js';
import { CameraNames } from './camera-names.js';
import type { AppContext } from './context.js';
import { h, setStatus, statusLine } from './dom.js';
import { KeyPanel } from './key-panel.js';
import { routePath } from './lib/router.js';
import { describeError } from './notice.js';
import { renameButton } from './rename-form.js';
import { SharePanel } from './share-panel.js';

/**
 * One gateway's settings: its name (renameable), access, its cameras' names, a notice line for
 * availability, who may see it (and sharing), a link to its safety number (shown by the verify page:
 * `keys`), and removal.
 */
export class CameraPanel {
  readonly element: HTMLElement;
  readonly keys: KeyPanel;
  private readonly share: SharePanel;
  private readonly heading: HTMLElement;
  private readonly notice: HTMLElement;
  private readonly names: CameraNames;
  private readonly removal: HTMLElement;
  private renderRename: () => void = () => undefined;

  constructor(
    private readonly context: AppContext,
    private camera: Camera,
    private readonly onRenamed: () => void,
    private readonly hooks: {
      /** The user said the safety numbers differ: the app distrusts the camera and stops its views. */
      readonly onMismatch: () => void;
      /** The camera was removed from this viewer. */
      readonly onRemoved: () => void;
    },
  ) {
    const headingId = `camera-title-${camera.deviceId}`;
    this.heading = h('h3', { id: headingId, class: 'camera-name' }, camera.gatewayName ?? camera.name);
    this.names = new CameraNames(context.viewer, camera, onRenamed);
    this.notice = h('p', { class: 'availability-notice', role: 'status', hidden: true });
    this.share = new SharePanel(context.viewer, camera);
    // "They differ": the app saves it (Viewer.distrust) and shows this camera again as distrusted.
    this.keys = new KeyPanel(camera, context.viewer.fingerprint, () => this.hooks.onMismatch());
    this.removal = h('div', {
      class: 'removal-offer',
      role: 'alert',
      'data-testid': 'removal-offer',
      hidden: true,
    });
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
      this.removal,
      // A distrusted camera shows nothing that would use its keys: no names, events or sharing.
      ...(camera.distrusted
        ? []
        : [
            this.details('Cameras', this.names.element),
            this.details('Who can see this camera', this.share.element),
          ]),
      h(
        'p',
        { class: 'verify-link' },
        h(
          'a',
          { href: routePath({ page: 'verify', deviceId: camera.deviceId }), 'data-testid': 'verify-open' },
          'Safety number',
        ),
        ' · compare it with the one the camera printed, to know no one is in the middle.',
      ),
      h('div', { class: 'panel-actions' }, this.removeButton('Remove this camera from this viewer')),
    );
    if (camera.distrusted)
      this.offerRemoval(
        'Stopped: you said the safety numbers differ, so this viewer no longer uses this camera (not after a reload either). Remove it, then pair again with a fresh code.',
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
      if (camera.distrusted || (camera.access !== 'owner' && camera.gatewayName !== null)) {
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
    if (this.camera.distrusted) return;
    this.share.start();
  }

  update(camera: Camera): void {
    this.camera = camera;
    this.heading.textContent = camera.gatewayName ?? camera.name;
    this.names.update(camera);
    this.renderRename();
  }

  /**
   * The camera's availability: an error (relay unreachable, no grant…) or undefined once it answers
   * again. A relay that no longer grants this viewer access (revoked) makes the panel say so and
   * offer to remove the camera.
   */
  setAvailability(error: unknown): void {
    const refused =
      error instanceof ViewerError && (error.reason === 'NO_GRANT' || error.reason === 'REVOKED');
    const message = error === undefined || refused ? undefined : describeError(error).message;
    this.notice.hidden = message === undefined;
    this.notice.textContent = message ?? '';
    // The relay's word, not the device's: an honest relay also says it until the device has
    // registered its viewers again (a restart). The offer goes as soon as the relay serves again.
    if (refused)
      this.offerRemoval(
        this.camera.access === 'owner'
          ? 'The relay says this viewer has no access to this camera.'
          : 'The relay says this camera is no longer shared with you (its owner may have removed your access).',
      );
    else if (!this.camera.distrusted) this.removal.hidden = true;
  }

  /** Says why the camera cannot be used, with a button that removes it from this viewer. */
  private offerRemoval(why: string): void {
    if (!this.removal.hidden && this.removal.dataset.why === why) return;
    this.removal.dataset.why = why;
    this.removal.replaceChildren(h('p', {}, why), this.removeButton('Remove this camera'));
    this.removal.hidden = false;
  }

  /** Two steps: "Remove…" asks, "Remove now" forgets the camera and everything kept about it. */
  private removeButton(label: string): HTMLElement {
    const holder = h('span', { class: 'remove-camera' });
    const ask = h(
      'button',
      { type: 'button', class: 'button small danger', 'data-testid': 'camera-remove' },
      label,
    );
    const status = statusLine();
    ask.addEventListener('click', () => {
      const confirm = h(
        'button',
        { type: 'button', class: 'button small danger', 'data-testid': 'camera-remove-confirm' },
        'Remove now',
      );
      const cancel = h('button', { type: 'button', class: 'button small secondary' }, 'Keep it');
      cancel.addEventListener('click', () => {
        holder.replaceChildren(ask, status);
        ask.focus();
      });
      confirm.addEventListener('click', async () => {
        confirm.disabled = true;
        try {
          await this.context.viewer.forget(this.camera.deviceId);
          this.hooks.onRemoved();
        } catch (error) {
          setStatus(status, describeError(error).message, 'error');
          confirm.disabled = false;
        }
      });
      holder.replaceChildren(
        h('span', {}, 'Its keys and names are forgotten here; pairing again needs a new code. '),
        confirm,
        cancel,
        status,
      );
      confirm.focus();
    });
    holder.append(ask, status);
    return holder;
  }

  close(): void {
    this.share.close();
    this.element.remove();
  }
}
