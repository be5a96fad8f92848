import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { until } from '@sealcam/testkit/poll';
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

/**
 * An accessibility scan of the page as it is (axe-core, WCAG 2.1 A and AA rules): the serious and
 * critical violations, one line each (rule, impact, how many elements, the first element's selector);
 * the minor and moderate ones the same way; and how many rules passed (a scan that ran).
 */
export async function accessibilityScan(
  page: Page,
): Promise<{ serious: string[]; other: string[]; passed: number }> {
  const result = await new AxeBuilder({ page: page as never })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  const line = (violation: (typeof result.violations)[number]) =>
    `${violation.id} (${violation.impact}, ${violation.nodes.length}×): ${violation.nodes[0]?.target.join(' ') ?? ''}`;
  const serious = (impact: string | null | undefined) => impact === 'serious' || impact === 'critical';
  return {
    serious: result.violations.filter((v) => serious(v.impact)).map(line),
    other: result.violations.filter((v) => !serious(v.impact)).map(line),
    passed: result.passes.length,
  };
}

/** Opens a page of the app by its navigation (the router, no reload); the address bar follows. */
export async function navigate(page: Page, name: string, path: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name, exact: true }).click();
  await until(() => new URL(page.url()).pathname === path, 30_000, `the ${name} page at ${path}`);
}

/** Pictures shown so far on the tile of the camera the device names `camera` (its sealed profile). */
export async function framesShown(page: Page, camera: string): Promise<number> {
  const tile = `[data-testid="camera-tile"][data-camera-name="${camera}"]`;
  let shown = 0;
  for (const picture of ['live-canvas', 'live-image']) {
    const element = page.locator(`${tile} [data-testid="${picture}"]`);
    if ((await element.count()) > 0) shown += Number((await element.getAttribute('data-frames')) ?? 0);
  }
  return shown;
}
