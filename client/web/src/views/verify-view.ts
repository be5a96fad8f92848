import type { DeviceId } from '../../../src/sdk/index.js';
import { h } from '../dom.js';
import { type Route, routePath } from '../lib/router.js';
import type { CameraParts } from './camera-parts.js';
import { noSuchCamera } from './not-found.js';
import type { View } from './view.js';

/**
 * A gateway's safety number, on its own screen: compare it with the one the camera printed.
 * "They match" confirms; "They differ" stops the camera at once (nothing of it is fetched or shown
 * from then on, after a reload too) and its settings page offers to remove it.
 */
export class VerifyView implements View {
  private readonly body: HTMLElement;
  private readonly back: HTMLAnchorElement;
  private deviceId: DeviceId | undefined;
  /** Set when the pairing just happened: the prompt says "Paired with …". */
  private justPaired = false;

  constructor(
    readonly element: HTMLElement,
    private readonly parts: CameraParts,
  ) {
    this.back = h('a', { href: '/settings' }, '← Camera settings');
    this.body = h('div', { class: 'verify-body' });
    element.append(h('p', { class: 'back-link' }, this.back), this.body);
  }

  title(): string {
    return this.deviceId ? `Safety number: ${this.parts.cameraName(this.deviceId)}` : 'Safety number';
  }

  /** The next show follows a pairing (its prompt says so). */
  afterPairing(): void {
    this.justPaired = true;
  }

  show(route: Route): void {
    if (route.page !== 'verify') return;
    this.deviceId = route.deviceId;
    this.back.href = routePath({ page: 'settings', deviceId: route.deviceId });
    const camera = this.parts.cameras().find((each) => each.deviceId === route.deviceId);
    const panel = this.parts.panel(route.deviceId);
    if (!camera || !panel) {
      this.body.replaceChildren(noSuchCamera());
      return;
    }
    this.body.replaceChildren(panel.keys.element);
    if (camera.distrusted)
      this.body.prepend(
        h(
          'p',
          { class: 'availability-notice', 'data-testid': 'verify-distrusted' },
          'You said these numbers differ: this camera is stopped. Remove it in its settings, then pair again.',
        ),
      );
    else panel.keys.askToCompare(this.parts.cameraName(route.deviceId), this.justPaired);
    this.justPaired = false;
  }

  hide(): void {
    this.body.replaceChildren();
    this.deviceId = undefined;
  }
}
