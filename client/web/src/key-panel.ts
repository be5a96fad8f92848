import type { Camera } from '../../src/sdk/index.js';
import { h, replace } from './dom.js';
import { safetyGroups } from './format.js';

/**
 * The key verification screen of one camera: the device's fingerprint, this viewer's id and the
 * 60-digit safety number, large and in groups of five. Right after pairing it asks the user to
 * compare the number with the one the device printed.
 */
export class KeyPanel {
  readonly element: HTMLElement;
  private readonly prompt: HTMLElement;
  private readonly number: HTMLElement;

  constructor(
    camera: Camera,
    viewerFingerprint: string,
    /** "They differ": the app stops using the camera and offers to remove it. */
    private readonly onMismatch: () => void = () => undefined,
  ) {
    const groups = safetyGroups(camera.safetyNumber);
    const digits: (Node | string)[] = [];
    groups.forEach((group, index) => {
      if (index > 0) digits.push(' ');
      digits.push(h('span', { class: 'safety-group' }, group));
    });
    this.number = h(
      'p',
      {
        class: 'safety-number',
        'data-testid': 'safety-number',
        'data-device-id': camera.deviceId,
        tabindex: '-1',
        'aria-label': `Safety number: ${groups.join(', ')}`,
      },
      ...digits,
    );
    this.prompt = h('div', { class: 'pair-prompt', hidden: true });
    this.element = h(
      'div',
      { class: 'key-panel' },
      this.prompt,
      h('h4', { class: 'safety-title' }, 'Safety number'),
      this.number,
      h(
        'p',
        { class: 'help' },
        'The camera shows the same number ("sealcam-agent pair" prints it when pairing; "sealcam-agent viewers" ' +
          'lists it later). If both show the same digits, nobody swapped the keys between you. If they ' +
          'differ, do not trust this camera: someone may be in the middle.',
      ),
      h(
        'dl',
        { class: 'key-list' },
        h('dt', {}, 'Camera fingerprint'),
        h('dd', { class: 'fingerprint', 'data-testid': 'device-fingerprint' }, camera.fingerprint),
        h('dt', {}, 'Your viewer id'),
        h('dd', { class: 'fingerprint', 'data-testid': 'viewer-fingerprint' }, viewerFingerprint),
        h('dt', {}, 'Your access'),
        h(
          'dd',
          {},
          camera.access === 'owner' ? 'Owner (you can share and revoke)' : 'Viewer (shared with you)',
        ),
        h('dt', {}, 'Added'),
        h('dd', {}, new Date(camera.pairedAt).toLocaleString()),
      ),
    );
  }

  /** Asks to compare the safety number with the device's, and focuses it. */
  askToCompare(cameraName: string, justPaired = true): void {
    const match = h(
      'button',
      { type: 'button', class: 'button', 'data-testid': 'safety-match' },
      'They match',
    );
    const differ = h(
      'button',
      { type: 'button', class: 'button danger', 'data-testid': 'safety-differ' },
      'They differ',
    );
    replace(
      this.prompt,
      h(
        'p',
        { class: 'pair-prompt-title' },
        justPaired ? `Paired with ${cameraName}.` : `Check ${cameraName}.`,
      ),
      h(
        'p',
        {},
        'Compare the safety number below with the one the camera printed. Every digit must be the same.',
      ),
      h('div', { class: 'button-row' }, match, differ),
    );
    match.addEventListener('click', () => {
      replace(
        this.prompt,
        h('p', { class: 'pair-prompt-ok' }, 'Safety number confirmed: the keys are the camera’s own.'),
      );
      setTimeout(() => {
        this.prompt.hidden = true;
      }, 4000);
    });
    differ.addEventListener('click', () => {
      this.prompt.classList.add('pair-prompt-bad');
      replace(
        this.prompt,
        h(
          'p',
          { role: 'alert' },
          'Do not use this camera. The numbers differ, so the camera and this viewer hold different keys: ' +
            'someone (the relay, or the network) may be in the middle. Pair again with a fresh code, ' +
            'ideally on another network, and compare again.',
        ),
      );
      this.onMismatch();
    });
    this.prompt.hidden = false;
    this.number.focus({ preventScroll: true });
  }
}
