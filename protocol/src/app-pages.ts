/**
 * The web app's pages besides `/` (client/web/src/lib/router.ts shows them), in a host's route
 * syntax (`:name` matches one path segment). Every host of the app (the relay with
 * SEALCAM_WEB_ROOT, `sealcam-viewer web`) answers each with index.html, so a page reloads, opens
 * from a bookmark, and the back button works. Paths hold only ids, never names.
 */
export const APP_PAGES: readonly { readonly path: string; readonly summary: string }[] = [
  { path: '/pair', summary: 'The web viewer, opened on a pairing link (the code stays in the fragment)' },
  { path: '/add', summary: 'The web viewer: adding a camera' },
  { path: '/events', summary: 'The web viewer: every event (review)' },
  { path: '/settings', summary: 'The web viewer: settings of every gateway' },
  { path: '/settings/:deviceId', summary: "The web viewer: one gateway's settings" },
  { path: '/settings/:deviceId/verify', summary: "The web viewer: one gateway's safety number" },
  { path: '/camera/:deviceId/:streamId', summary: 'The web viewer: one camera' },
  { path: '/me', summary: 'The web viewer: this viewer' },
];
