import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { releaseDefines } from './release-defines.js';

const root = dirname(fileURLToPath(import.meta.url));
// The service worker: one self-contained classic script at the site root (its scope), next to the app.
export default defineConfig({
  root,
  define: releaseDefines(),
  build: {
    outDir: resolve(root, '../dist/webapp'),
    emptyOutDir: false,
    target: 'es2022',
    sourcemap: false,
    lib: {
      entry: resolve(root, 'sw/sw.ts'),
      formats: ['iife'],
      name: 'sealcamServiceWorker',
      fileName: () => 'sw.js',
    },
  },
});
