/**
 * The release public key and version built into the app and its service worker. scripts/build.mjs
 * sets both (it holds the release key and signs release.json after the build); a bare `vite build`
 * without them is refused, since the app would then trust no key.
 */
export function releaseDefines(): Record<string, string> {
  const publicKey = process.env.SEALCAM_RELEASE_PUBLIC_KEY;
  const version = Number(process.env.SEALCAM_RELEASE_VERSION);
  if (!publicKey || !/^[A-Za-z0-9_-]{43}$/.test(publicKey) || !Number.isSafeInteger(version) || version <= 0)
    throw new Error('build the web viewer with `npm run build` (it sets the release key and version)');
  return {
    __RELEASE_PUBLIC_KEY__: JSON.stringify(publicKey),
    __RELEASE_VERSION__: String(version),
  };
}
