import type { DeviceId } from '../../../src/sdk/index.js';
import { h } from '../dom.js';
import type { Route } from '../lib/router.js';
import type { CameraParts } from './camera-parts.js';
import { noSuchCamera } from './not-found.js';
import type { View } from './view.js';

/**
 * Settings: every gateway's panel (names of its cameras, who can see them, its safety number,
 * removal), or one gateway's alone at /settings/<deviceId>.
 */
export class SettingsView implements View {
  private readonly back: HTMLElement;
  private readonly missing: HTMLElement;
  private deviceId: DeviceId | null = null;

  constructor(
    readonly element: HTMLElement,
    /** Where the app keeps the panels (inside this page's element). */
    private readonly panels: HTMLElement,
    private readonly parts: CameraParts,
  ) {
    this.back = h('p', { class: 'back-link', hidden: true }, h('a', { href: '/settings' }, '← All gateways'));
    this.missing = h('div', { hidden: true }, noSuchCamera());
    element.prepend(this.back);
    panels.before(this.missing);
  }

  title(): string {
    return this.deviceId ? `Settings: ${this.parts.cameraName(this.deviceId)}` : 'Settings';
  }

  show(route: Route): void {
    if (route.page !== 'settings') return;
    this.deviceId = route.deviceId;
    this.render();
  }

  /** Shows the chosen gateway's panel alone (again, after panels were made anew). */
  render(): void {
    const only = this.deviceId;
    this.back.hidden = only === null;
    let shown = 0;
    for (const panel of Array.from(this.panels.children)) {
      if (!(panel instanceof HTMLElement)) continue;
      panel.hidden = only !== null && panel.dataset.deviceId !== only;
      if (!panel.hidden) shown += 1;
    }
    this.missing.hidden = only === null || shown > 0;
  }

  hide(): void {
    this.deviceId = null;
  }
}
