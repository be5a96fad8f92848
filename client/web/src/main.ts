import { IndexedDbKeyStore, Viewer } from '../../src/sdk/index.js';
import { App } from './app.js';

function byId(id: string): HTMLElement {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page lacks #${id}`);
  return element;
}

/** Why the viewer could not open, in words: its cryptography (WebAssembly) or its key store. */
function bootFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/WebAssembly|wasm|CompileError/i.test(message))
    return (
      'The viewer cannot start: this page’s security policy (CSP) blocks WebAssembly, which its ' +
      'cryptography (libsodium) needs. The server must allow it with script-src ' +
      "'self' 'wasm-unsafe-eval'."
    );
  return (
    'This browser cannot keep the viewer’s keys (IndexedDB is unavailable, e.g. in a private window). ' +
    `Open the viewer in a normal window. (${message})`
  );
}

/**
 * Opens the viewer (keys from IndexedDB, created on first use) and starts the app. The relay is this
 * page's origin; only the SDK talks to it, and it only ever receives ciphertext and public keys.
 */
async function boot(): Promise<void> {
  const status = byId('boot-status');
  let viewer: Viewer;
  try {
    viewer = await Viewer.open({ store: new IndexedDbKeyStore() });
  } catch (error) {
    status.textContent = bootFailure(error);
    status.dataset.tone = 'error';
    console.error('sealcam: the viewer could not start', error);
    return;
  }
  const app = new App(
    viewer,
    {
      alerts: byId('alerts'),
      alertBadge: byId('alert-badge'),
      grid: byId('live-grid'),
      gridEmpty: byId('live-empty'),
      panels: byId('camera-panels'),
      addForms: byId('add-forms'),
      me: byId('me-panel'),
    },
    location.origin,
  );
  status.remove();
  app.start(location, history);
}

void boot();
