import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { recordBuildInputs } from './build-inputs.js';
import { releaseDefines } from './release-defines.js';

const root = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(root, '../..');
// Not dist/web: tsc compiles web/src for the unit tests into client/dist/web/src.
const outDir = resolve(root, '../dist/webapp');
export default defineConfig({
  root,
  base: '/',
  define: releaseDefines(),
  plugins: [
    recordBuildInputs(repoRoot, outDir, [
      resolve(root, 'vite.config.ts'),
      resolve(root, 'build-inputs.ts'),
      resolve(root, 'release-defines.ts'),
      resolve(root, 'vite.sw.config.ts'),
      resolve(root, 'sw/sw.ts'),
      // Copied as they are (public/): part of the signed release, not modules Vite reads.
      resolve(root, 'public/manifest.webmanifest'),
      resolve(root, 'public/icon-192.png'),
      resolve(root, 'public/icon-512.png'),
      resolve(repoRoot, 'package-lock.json'),
    ]),
  ],
  // Served by the relay under a strict CSP: no inline scripts, nothing from other origins.
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    modulePreload: { polyfill: false },
    // libsodium (its WebAssembly inlined) is most of the bundle; one file, loaded once.
    chunkSizeWarningLimit: 700,
  },
});
