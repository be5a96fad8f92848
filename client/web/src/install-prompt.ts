import { h } from './dom.js';

/** Chromium's `beforeinstallprompt` event (not in the DOM typings): the browser's offer to install. */
interface InstallOffer extends Event {
  prompt(): Promise<void>;
  readonly userChoice: Promise<{ outcome: 'accepted' | 'dismissed' }>;
}

/**
 * "Install app", shown only while the browser offers to install the app (Chromium-based browsers fire
 * `beforeinstallprompt` once the manifest, icons and service worker qualify; others install from their
 * own menu and never show it). One click asks the browser; installed or declined, the button goes.
 */
export function installButton(target: Window = window): HTMLButtonElement {
  const button = h(
    'button',
    { type: 'button', class: 'button small install-button', 'data-testid': 'install-app', hidden: true },
    'Install app',
  );
  let offer: InstallOffer | undefined;
  target.addEventListener('beforeinstallprompt', (event) => {
    // Keep the browser's own mini-bar away: the app offers it where the user expects it.
    event.preventDefault();
    offer = event as InstallOffer;
    button.hidden = false;
  });
  button.addEventListener('click', async () => {
    const taken = offer;
    if (!taken) return;
    offer = undefined;
    // The button goes: focus moves to the page's main content, not to nowhere.
    document.getElementById('main')?.focus();
    button.hidden = true;
    try {
      await taken.prompt();
      button.dataset.outcome = (await taken.userChoice).outcome;
    } catch {
      // The browser withdrew its offer (it allows one prompt per offer): nothing to do.
      button.dataset.outcome = 'unavailable';
    }
  });
  target.addEventListener('appinstalled', () => {
    offer = undefined;
    button.hidden = true;
  });
  return button;
}
