import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Where the browser tests write their screenshots (kept after the run; gitignored). */
export const SCREENSHOTS = resolve('test-output', 'browser');

/** Debian's Chromium, headless, with a fresh profile directory, as the project's tests require. */
export async function launchChromium(): Promise<BrowserContext> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), 'sealcam-chromium-'));
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1100, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
  });
}

/**
 * What the page's IndexedDB holds as the viewer's private keys: whether each is extractable, and what
 * exporting it (pkcs8, jwk) gives: an error's name, as for non-extractable keys.
 */
export async function storedKeys(page: Page): Promise<{ extractable: boolean[]; exports: string[] }> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('sealcam-viewer');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const state = await new Promise<{ identity: { signKey: CryptoKey; boxKey: CryptoKey } }>(
      (resolve, reject) => {
        const request = db.transaction('state').objectStore('state').get('viewer');
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      },
    );
    db.close();
    const keys = [state.identity.signKey, state.identity.boxKey];
    const exports: string[] = [];
    for (const key of keys)
      for (const format of ['pkcs8', 'jwk'] as const)
        exports.push(
          await crypto.subtle.exportKey(format, key).then(
            () => 'exported',
            (error: Error) => error.name,
          ),
        );
    return { extractable: keys.map((key) => key.extractable), exports };
  });
}
