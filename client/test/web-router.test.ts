import assert from 'node:assert/strict';
import { test } from 'node:test';
import { APP_PAGES } from '@sealcam/protocol';
import { isRoutableStreamId, parseRoute, type Route, routePath } from '../web/src/lib/router.js';

const DEVICE = 'abcdefghijklmnopqrstuvwxyz';

/** Every page, cameras with an opaque and a readable stream id. */
const ROUTES = [
  { page: 'home' },
  { page: 'camera', deviceId: DEVICE, streamId: 'ozd3qkq7xg4lgx5bqbhzrbwt2u' },
  { page: 'camera', deviceId: DEVICE, streamId: 'front-door' },
  { page: 'events' },
  { page: 'settings', deviceId: null },
  { page: 'settings', deviceId: DEVICE },
  { page: 'verify', deviceId: DEVICE },
  { page: 'add' },
  { page: 'me' },
] as Route[];

test('every page has a path, and the path parses back to the same page', () => {
  for (const route of ROUTES) assert.deepEqual(parseRoute(routePath(route)), route, routePath(route));
  assert.deepEqual(parseRoute('/pair'), { page: 'add' }, 'a pairing link opens "Add a camera"');
  assert.deepEqual(parseRoute('/settings/'), { page: 'settings', deviceId: null }, 'a trailing slash');
});

test('paths that are not ids of the SDK, or not pages, open home', () => {
  for (const path of [
    '/nowhere',
    `/camera/${DEVICE}`,
    `/camera/NOTANID/front`,
    `/camera/${DEVICE}/${'x'.repeat(65)}`,
    `/camera/${DEVICE}/a%2Fb`,
    `/settings/${DEVICE}/other`,
    '/settings/<script>',
    `/events/${DEVICE}`,
    '/me/too',
    `/camera/${DEVICE}/.`,
    `/camera/${DEVICE}/..`,
  ])
    assert.deepEqual(parseRoute(path), { page: 'home' }, path);
});

test('"." and ".." are stream ids a path cannot hold (the browser resolves them away): no camera page links to them', () => {
  assert.equal(isRoutableStreamId('.'), false);
  assert.equal(isRoutableStreamId('..'), false);
  assert.equal(isRoutableStreamId('...'), true);
  assert.equal(isRoutableStreamId('front.door'), true);
  // Every routable id survives the browser's own URL resolution.
  for (const streamId of ['...', 'front.door', 'a-b_c', 'ozd3qkq7xg4lgx5bqbhzrbwt2u']) {
    const path = routePath({ page: 'camera', deviceId: DEVICE, streamId } as Route);
    assert.equal(new URL(path, 'http://127.0.0.1').pathname, path, path);
  }
});

test("the hosts' page list (APP_PAGES) and the router agree: each listed path is a page, each page is listed", () => {
  const filled = (pattern: string) => pattern.replace(':deviceId', DEVICE).replace(':streamId', 'front-door');
  for (const { path } of APP_PAGES)
    assert.notDeepEqual(parseRoute(filled(path)), { page: 'home' }, `${path} is not a page of the app`);
  // A host's `:name` matches one path segment.
  const served = (path: string) =>
    APP_PAGES.some(({ path: pattern }) =>
      new RegExp(`^${pattern.replace(/:[A-Za-z]+/g, '[^/]+')}$`).test(path),
    );
  for (const route of ROUTES.filter((each) => each.page !== 'home'))
    assert.ok(served(routePath(route)), `${routePath(route)} is not served by the hosts`);
});
