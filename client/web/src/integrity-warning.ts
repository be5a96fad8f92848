import type { AppIntegrityWarning } from './app-release.js';
import { h } from './dom.js';

const WHY: Record<AppIntegrityWarning, string> = {
  unsigned:
    'The site offered an app that is not signed with the sealcam release key this app was installed with; it was refused.',
  older: 'The site offered an older release than the one you run (a rollback); it was refused.',
  mismatch: 'The site offered a release whose files differ from its own signed list; it was refused.',
  'worker-changed': 'The site serves another service worker, which no sealcam release does.',
  'took-over': 'A new service worker took control of this site.',
};

/**
 * The page-wide warning when the site tried to replace the app: what happened, what it means for the
 * keys, what to do. Shown once per reason, above everything; the app has stopped using its keys.
 */
export class IntegrityWarning {
  private readonly element: HTMLElement;
  private readonly reasons = new Set<AppIntegrityWarning>();

  constructor(parent: HTMLElement) {
    this.element = h('section', {
      class: 'integrity-warning',
      role: 'alert',
      'data-testid': 'app-integrity-warning',
      hidden: '',
    });
    parent.prepend(this.element);
  }

  show(reason: AppIntegrityWarning): void {
    if (this.reasons.has(reason)) return;
    this.reasons.add(reason);
    this.element.dataset.reasons = [...this.reasons].join(' ');
    this.element.replaceChildren(
      h('h2', {}, 'This site tried to replace the sealcam app'),
      h('ul', {}, ...[...this.reasons].map((why) => h('li', { 'data-reason': why }, WHY[why]))),
      h(
        'p',
        {},
        'This app has stopped: it no longer uses your keys or shows your cameras. Your private keys cannot be ' +
          'copied out of this browser, but a replaced app could use them while it is open. Close this tab and ' +
          'do not open this site again until its operator explains; meanwhile use the sealcam CLI or a copy ' +
          'of the app you trust.',
      ),
    );
    this.element.hidden = false;
  }
}
