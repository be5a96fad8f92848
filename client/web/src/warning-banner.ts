import type { ViewerError } from '../../src/sdk/index.js';
import { h, replace } from './dom.js';
import { WarningLog } from './warning-log.js';

/**
 * The one verification warning banner (role="alert"): every time something fails verification —
 * a live frame or manifest, an event record, a thumbnail, a clip — a line names where and the SDK's
 * sentence for why. Whatever failed was not shown. Repeats count up on their line.
 */
export class WarningBanner {
  private readonly log = new WarningLog();
  private banner: HTMLElement | undefined;
  private list: HTMLUListElement | undefined;

  constructor(
    private readonly container: HTMLElement,
    /** A link in the (always visible) header that stays while the banner is up: "⚠ 3 refused". */
    private readonly badge?: HTMLElement,
  ) {}

  report(context: string, error: ViewerError): void {
    const { isNew } = this.log.add({ context, message: error.userMessage, reason: error.reason }, Date.now());
    // Once per kind of refusal, not per frame (a refused stream would log 30 lines a second).
    if (isNew) console.warn(`sealcam: not shown (${context}): ${error.message}`);
    const list = this.ensure();
    if (isNew) this.render(list);
    else this.updateCounts(list);
    if (this.badge) {
      this.badge.hidden = false;
      this.badge.textContent = `⚠ ${this.log.total}`;
      this.badge.title = 'Not verified, not shown: see the warning';
      this.badge.setAttribute(
        'aria-label',
        `${this.log.total} items did not verify and were not shown: see the warning`,
      );
    }
  }

  private ensure(): HTMLUListElement {
    if (this.banner && this.list) return this.list;
    const title = h(
      'h2',
      { class: 'banner-title', id: 'verification-warning-title' },
      'Not shown: this did not verify',
    );
    const list = h('ul', { class: 'banner-list' });
    const dismiss = h(
      'button',
      { type: 'button', class: 'button small secondary', 'data-testid': 'verification-dismiss' },
      'Dismiss',
    );
    const banner = h(
      'section',
      {
        class: 'verification-warning',
        role: 'alert',
        'data-testid': 'verification-warning',
        'aria-labelledby': 'verification-warning-title',
      },
      h('div', { class: 'banner-header' }, title, dismiss),
      h(
        'p',
        { class: 'banner-help' },
        'This viewer refused it: not from your camera, altered, or not meant for you. None of it was ' +
          'shown; your camera’s verified pictures are unaffected. If this keeps happening, the relay is ' +
          'misdelivering or someone is tampering with what it serves.',
      ),
      list,
    );
    dismiss.addEventListener('click', () => this.dismiss());
    this.container.prepend(banner);
    this.banner = banner;
    this.list = list;
    return list;
  }

  private render(list: HTMLUListElement): void {
    replace(
      list,
      ...this.log
        .list()
        .map((entry) =>
          h(
            'li',
            { 'data-reason': entry.reason, 'data-key': entry.key },
            h('span', { class: 'banner-context' }, `${entry.context}: `),
            h('strong', { class: 'banner-message' }, entry.message),
            h(
              'span',
              { class: 'banner-count', 'aria-hidden': 'true' },
              entry.count > 1 ? ` ×${entry.count}` : '',
            ),
          ),
        ),
    );
  }

  private updateCounts(list: HTMLUListElement): void {
    const entries = new Map(this.log.list().map((entry) => [entry.key, entry]));
    for (const item of Array.from(list.querySelectorAll<HTMLLIElement>('li'))) {
      const entry = entries.get(item.dataset.key ?? '');
      const count = item.querySelector('.banner-count');
      if (entry && count) count.textContent = entry.count > 1 ? ` ×${entry.count}` : '';
    }
  }

  dismiss(): void {
    this.log.clear();
    this.banner?.remove();
    this.banner = undefined;
    if (this.badge) this.badge.hidden = true;
    this.list = undefined;
  }
}
