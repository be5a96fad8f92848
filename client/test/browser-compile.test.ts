import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const clientRoot = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const tsc = join(clientRoot, '..', 'node_modules', 'typescript', 'bin', 'tsc');

/** The browser code's own tsconfigs: no Node types, the browser's lib. */
const BROWSER_PROJECTS = ['src/sdk', 'web'] as const;

describe('browser code is compiled for the browser', () => {
  for (const project of BROWSER_PROJECTS) {
    it(`${project} compiles without Node types (types: [], lib ES2022 + DOM)`, () => {
      const config = JSON.parse(readFileSync(join(clientRoot, project, 'tsconfig.json'), 'utf8'));
      assert.deepEqual(config.compilerOptions.types, []);
      assert.deepEqual(config.compilerOptions.lib, ['ES2022', 'DOM']);
    });

    it(`${project}: a Node API used there fails to compile`, () => {
      // A copy of the project with one file using Buffer and node:fs, checked by its own settings.
      const scratch = mkdtempSync(join(tmpdir(), 'sealcam-browser-compile-'));
      try {
        const config = JSON.parse(readFileSync(join(clientRoot, project, 'tsconfig.json'), 'utf8'));
        writeFileSync(
          join(scratch, 'uses-node.ts'),
          "import { readFileSync } from 'node:fs';\nexport const bytes = Buffer.from(readFileSync('x'));\n",
        );
        writeFileSync(join(scratch, 'pure.ts'), 'export const bytes = new TextEncoder().encode("x");\n');
        const options = {
          ...config.compilerOptions,
          noEmit: true,
          composite: false,
          declaration: false,
          declarationMap: false,
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
        };
        const check = (file: string) => {
          writeFileSync(
            join(scratch, 'tsconfig.json'),
            JSON.stringify({
              compilerOptions: { ...options, rootDir: '.', outDir: 'out', tsBuildInfoFile: null },
              files: [file],
            }),
          );
          return spawnSync(process.execPath, [tsc, '-p', scratch], { encoding: 'utf8' });
        };
        const pure = check('pure.ts');
        assert.equal(pure.status, 0, `a pure file failed: ${pure.stdout}${pure.stderr}`);
        const node = check('uses-node.ts');
        assert.notEqual(node.status, 0, 'a file using Buffer and node:fs compiled with the browser settings');
        assert.match(node.stdout, /Buffer|node:fs/);
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    });
  }

  it('the SDK and the web app compile with those settings (tsc --noEmit)', () => {
    for (const project of BROWSER_PROJECTS) {
      const result = spawnSync(
        process.execPath,
        [
          tsc,
          '-p',
          join(clientRoot, project),
          '--noEmit',
          '--composite',
          'false',
          '--declaration',
          'false',
          '--declarationMap',
          'false',
          '--incremental',
          'false',
        ],
        { encoding: 'utf8' },
      );
      assert.equal(result.status, 0, `${project}: ${result.stdout}${result.stderr}`);
    }
  });
});
