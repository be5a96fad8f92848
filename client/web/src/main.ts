import { IndexedDbKeyStore, Viewer } from '../../src/sdk/index.js';
import { App } from './app.js';
import { APP_RELEASE_VERSION, guardAppRelease, type PinState } from './app-release.js';
import { installButton } from './install-prompt.js';
import { IntegrityWarning } from './integrity-warning.js';

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

/** Under "This viewer": whether this app runs a pinned, signed release (data-pin-state for tests). */
function showPinState(state: PinState, detail: string): void {
  const panel = document.getElementById('me-panel');
  if (!panel) return;
  let line = document.getElementById('app-pin-state');
  if (!line) {
    line = document.createElement('p');
    line.id = 'app-pin-state';
    line.className = 'help';
    line.dataset.testid = 'app-pin-state';
    panel.append(line);
  }
  line.dataset.pinState = state;
  line.textContent =
    state === 'pinned'
      ? `This app is pinned to a signed release (${detail}): the site cannot change it without a warning here.`
      : `This app is not pinned (${detail}): it runs whatever the site serves, unchecked.`;
}

/**
 * The relays this page may reach: listed in /config.json by a host that serves the app on its own
 * origin (its CSP names the same ones); else, served by a relay, that relay alone.
 */
async function reachableRelays(): Promise<string[]> {
  try {
    const response = await fetch('/config.json', { cache: 'no-store' });
    if (response.ok) {
      const { relays } = (await response.json()) as { relays?: unknown };
      if (Array.isArray(relays) && relays.length > 0 && relays.every((relay) => typeof relay === 'string'))
        return relays as string[];
    }
  } catch {
    // No list: served by a relay.
  }
  return [location.origin];
}

/**
 * Opens the viewer (keys from IndexedDB, created on first use) and starts the app. Only the SDK talks
 * to relays (this page's origin, or those its host lists), and they only ever receive ciphertext and
 * public keys.
 */
async function boot(): Promise<void> {
  const status = byId('boot-status');
  // Listening from the start: the browser's offer to install can come before the viewer is open.
  byId('alert-badge').before(installButton());
  document.documentElement.dataset.release = String(APP_RELEASE_VERSION);
  // The site offering an app this one does not accept stops it: no keys used from then on.
  const warning = new IntegrityWarning(document.body);
  let locked = false;
  let stop: () => void = () => undefined;
  let pin = null as { state: PinState; detail: string } | null;
  guardAppRelease({
    onWarning: (reason) => {
      warning.show(reason);
      if (locked) return;
      locked = true;
      document.body.dataset.locked = 'true';
      byId('main').hidden = true;
      stop();
    },
    onPinState: (state, detail) => {
      pin = { state, detail };
      showPinState(state, detail);
    },
  });
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
      nav: byId('app-nav'),
      pages: {
        home: byId('page-home'),
        camera: byId('page-camera'),
        events: byId('page-events'),
        settings: byId('page-settings'),
        verify: byId('page-verify'),
        add: byId('page-add'),
        me: byId('page-me'),
      },
      grid: byId('live-grid'),
      gridEmpty: byId('live-empty'),
      panels: byId('camera-panels'),
      addForms: byId('add-forms'),
      me: byId('me-panel'),
    },
    { origin: location.origin, relays: await reachableRelays() },
  );
  status.remove();
  stop = () => void app.stop();
  if (pin) showPinState(pin.state, pin.detail);
  if (locked) {
    await viewer.close();
    return;
  }
  app.start(location, history);
}

void boot();
