/**
 * Records what went into the web bundle (every module file Vite read, plus the config and the
 * lockfile) with a SHA-256 of each, so `npm run build` can skip Vite when none of them changed.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { Plugin } from 'vite';

export const INPUTS_FILE = '.build-inputs.json';

export function recordBuildInputs(repoRoot: string, outDir: string, alwaysInputs: string[]): Plugin {
  return {
    name: 'sealcam-record-build-inputs',
    apply: 'build',
    writeBundle() {
      const files = new Set(alwaysInputs.map((file) => resolve(file)));
      for (const id of this.getModuleIds()) {
        const path = id.split('?')[0]!;
        if (isAbsolute(path) && existsSync(path)) files.add(path);
      }
      const inputs: Record<string, string> = {};
      for (const file of [...files].sort()) {
        inputs[relative(repoRoot, file)] = createHash('sha256').update(readFileSync(file)).digest('hex');
      }
      writeFileSync(join(outDir, INPUTS_FILE), `${JSON.stringify(inputs, null, 1)}\n`);
    },
  };
}
