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
      { class: 'help', 'data-testid': 'keys-held', 'data-keys-held-by': viewer.keysHeldBy },
      viewer.keysHeldBy === 'platform'
        ? 'Your private keys are held by this browser’s WebCrypto as keys that cannot be exported: ' +
            'this page uses them but cannot read them, and neither could a changed page. '
        : 'This browser cannot hold keys that cannot be exported (WebCrypto Ed25519/X25519): your private ' +
            'keys are kept as bytes in this browser’s storage, readable by any page of this site. ',
      'Clearing this site’s data removes them, and with them every camera paired here.',
    ),
  );
}
