import type { Viewer } from '../../src/sdk/index.js';
import { copyButton } from './copy-button.js';
import { h } from './dom.js';

/** This viewer: its share code (to be invited to a camera) and its id. Both are public. */
export function mePanel(viewer: Viewer): HTMLElement {
  const code = h(
    'code',
    { class: 'code', 'data-testid': 'share-code', id: 'share-code' },
    viewer.shareCode(),
  );
  return h(
    'div',
    { class: 'me-panel' },
    h('h3', {}, 'Your share code'),
    h(
      'p',
      { class: 'help' },
      'To have a camera shared with you, give this code to its owner. It holds only your public key: ' +
        'it is safe to send, and it lets nobody see anything.',
    ),
    code,
    h('div', { class: 'button-row' }, copyButton(code)),
    h('h3', {}, 'Your viewer id'),
    h(
      'p',
      { class: 'fingerprint', 'data-testid': 'viewer-id', 'data-viewer-id': viewer.id },
      viewer.fingerprint,
    ),
    h(
      'p',
      { class: 'help' },
      'Your private keys are kept in this browser (IndexedDB) and never leave it. Clearing this site’s ' +
        'data removes them, and with them every camera paired here.',
    ),
  );
}
