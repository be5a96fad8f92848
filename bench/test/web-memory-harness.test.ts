import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requireProgram } from '@sealcam/testkit/programs';
import { launchBrowser } from '../media/browser.js';
import { chromiumProcesses, pageRenderer } from '../viewer-memory/chromium-memory.js';

requireProgram('chromium');

test("chromiumProcesses finds one Chromium's processes by its profile, and the page's renderer grows with what the page holds (anonymous memory, RSS split by kind)", async () => {
  const browser = await launchBrowser();
  const other = await launchBrowser();
  try {
    const page = await browser.context.newPage();
    await page.goto('about:blank');
    const before = chromiumProcesses(browser.profile);
    assert.ok(
      before.some((each) => each.type === 'browser'),
      'the main process',
    );
    const renderer = pageRenderer(before);
    assert.ok(renderer, 'a renderer');
    assert.ok(renderer.pssBytes > 0 && renderer.rssBytes >= renderer.pssBytes, 'RSS ≥ PSS > 0');
    const parts = renderer.rss.file + renderer.rss.anonymous + renderer.rss.shared;
    // Two files read one after the other: the process may have moved a little in between.
    assert.ok(Math.abs(parts - renderer.rssBytes) < renderer.rssBytes * 0.1, 'the kinds add up to the RSS');
    assert.ok(renderer.rss.file > 0 && renderer.rss.anonymous > 0, 'mapped files and anonymous memory');
    const otherPids = new Set(chromiumProcesses(other.profile).map((each) => each.pid));
    assert.ok(otherPids.size > 0);
    assert.ok(
      !before.some((each) => otherPids.has(each.pid)),
      "another Chromium's processes are not counted",
    );
    // 200 MB the page touches (every page written): its renderer holds them.
    await page.evaluate(() => {
      const held = new Uint8Array(200 * 1024 * 1024);
      for (let i = 0; i < held.length; i += 4096) held[i] = 1;
      (window as unknown as { held: Uint8Array }).held = held;
    });
    const after = pageRenderer(chromiumProcesses(browser.profile));
    assert.ok(after, 'the renderer, still');
    assert.ok(
      after.rssBytes - renderer.rssBytes > 150 * 1024 * 1024,
      `the renderer grew by ${Math.round((after.rssBytes - renderer.rssBytes) / 1024 / 1024)} MB`,
    );
    assert.ok(after.rss.anonymous - renderer.rss.anonymous > 150 * 1024 * 1024, 'as anonymous memory');
  } finally {
    await Promise.all([browser.close(), other.close()]);
  }
});
