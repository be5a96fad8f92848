// Packages stand alone: no file of any workspace reaches into another package's insides (its dist/,
// its test build, a subpath its exports map does not list, a relative path or file URL out of the
// package, a tsconfig reference, extends, include or path into another package), and nothing that
// ships (src/, bin/, web/, runtime dependencies) uses the private test kit. The checker is first run on a crafted repository with
// one of each kind, to show that it catches them, then on this repository.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { crossPackageImports, findViolations, Kind } from '../boundaries.mjs';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

function write(base, files) {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(base, path)), { recursive: true });
    writeFileSync(join(base, path), typeof content === 'string' ? content : JSON.stringify(content));
  }
}

test('the boundary check catches each kind of reach into another package', (t) => {
  const repo = mkdtempSync(join(tmpdir(), 'sealcam-boundaries-'));
  t.after(() => rmSync(repo, { recursive: true, force: true }));
  write(repo, {
    'package.json': { workspaces: ['lib', 'app', 'bare', 'testkit'] },
    'lib/package.json': {
      name: '@sealcam/lib',
      exports: { '.': './dist/src/index.js', './launcher': './l.js' },
    },
    'lib/src/index.ts': "import { helper } from './helper.js';\nexport { helper };\n",
    'bare/package.json': { name: '@sealcam/bare' },
    'app/package.json': { name: '@sealcam/app' },
    // Allowed: exported entries, the package's own files, other packages' main tsconfig.
    'app/src/good.ts': [
      "import { a } from '@sealcam/lib';",
      "import {\n  b,\n  c,\n} from '@sealcam/lib/launcher';",
      "import { d } from './local.js';",
      "import { readFileSync } from 'node:fs';",
      "const e = await import('@sealcam/lib/launcher');",
      '',
    ].join('\n'),
    'app/tsconfig.json': { references: [{ path: '../lib' }, { path: '../lib/tsconfig.json' }] },
    'app/tsconfig.test.json': { references: [{ path: './tsconfig.json' }] },
    // One of each kind.
    'app/src/not-exported.ts': "import { x } from '@sealcam/lib/internal/thing.js';\n",
    'app/test/dist-path.ts': "import { y } from '@sealcam/lib/dist/test/support/y.js';\n",
    'app/bench/climbs-out.mts': "export { z } from '../../lib/src/z.js';\n",
    'app/scripts/require-trick.cjs':
      "const path = require('node:path');\nconst main = path.join(path.dirname(require.resolve('@sealcam/lib/package.json')), 'dist');\n",
    'app/web/meta-resolve.js': "const url = import.meta.resolve('@sealcam/lib/dist/src/main.js');\n",
    'app/src/dynamic.ts': "const m = await import('../../lib/src/secret.js');\n",
    'app/src/no-entry.ts': "import { w } from '@sealcam/bare';\nimport { v } from '@sealcam/nowhere';\n",
    'app/tsconfig.build.json': { references: [{ path: '../lib/tsconfig.test.json' }] },
    'app/src/template.ts': 'const t = await import(`@sealcam/lib/dist/src/t.js`);\n',
    'app/src/by-url.ts': "const main = new URL('../../lib/dist/src/main.js', import.meta.url);\n",
    'app/src/own-url.ts': "const here = new URL('./data.json', import.meta.url);\n",
    'app/tsconfig.reach.json': {
      extends: '../lib/tsconfig.test.json',
      include: ['src', '../lib/src'],
      compilerOptions: { paths: { '#lib/*': ['../lib/src/*'] } },
    },
    'testkit/package.json': { name: '@sealcam/testkit', exports: { './poll': './poll.js' } },
    'app/src/ships-test-support.ts': "import { until } from '@sealcam/testkit/poll';\n",
    'app/test/uses-test-support.ts': "import { until } from '@sealcam/testkit/poll';\n",
  });
  // A package whose runtime dependencies include the test kit.
  write(repo, {
    'bare/package.json': { name: '@sealcam/bare', dependencies: { '@sealcam/testkit': '0.1.0' } },
  });

  const found = findViolations(repo).map(({ file, kind, detail }) => `${file} ${kind} ${detail}`);
  assert.deepEqual(
    found.sort(),
    [
      `app/bench/climbs-out.mts ${Kind.ClimbsOut} ../../lib/src/z.js`,
      `app/src/by-url.ts ${Kind.ClimbsOut} ../../lib/dist/src/main.js`,
      `app/src/ships-test-support.ts ${Kind.ShipsTestSupport} @sealcam/testkit/poll`,
      `app/src/template.ts ${Kind.DistPath} @sealcam/lib/dist/src/t.js`,
      `app/tsconfig.reach.json ${Kind.TsconfigReach} ../lib/src`,
      `app/tsconfig.reach.json ${Kind.TsconfigReach} ../lib/src/*`,
      `app/tsconfig.reach.json ${Kind.TsconfigReach} ../lib/tsconfig.test.json`,
      `bare/package.json ${Kind.ShipsTestSupport} dependencies: @sealcam/testkit`,
      `app/scripts/require-trick.cjs ${Kind.NotExported} @sealcam/lib/package.json`,
      `app/src/dynamic.ts ${Kind.ClimbsOut} ../../lib/src/secret.js`,
      `app/src/no-entry.ts ${Kind.NoEntry} @sealcam/bare`,
      `app/src/no-entry.ts ${Kind.NoEntry} @sealcam/nowhere`,
      `app/src/not-exported.ts ${Kind.NotExported} @sealcam/lib/internal/thing.js`,
      `app/test/dist-path.ts ${Kind.DistPath} @sealcam/lib/dist/test/support/y.js`,
      `app/tsconfig.build.json ${Kind.TestTsconfig} ../lib/tsconfig.test.json`,
      `app/web/meta-resolve.js ${Kind.DistPath} @sealcam/lib/dist/src/main.js`,
    ].sort(),
  );
});

test('no workspace file imports another package except through its exports map', () => {
  assert.deepEqual(findViolations(root), []);
  // The check did look: the packages do use each other, through their entries.
  const used = crossPackageImports(root);
  for (const expected of [
    'bench -> @sealcam/device-agent',
    'bench -> @sealcam/relay/launcher',
    'client -> @sealcam/relay/launcher',
    'relay -> @sealcam/protocol/relay-safe',
    'testkit -> @sealcam/device-agent/program',
  ]) {
    assert.ok(used.includes(expected), `expected ${expected} among ${used.join(', ')}`);
  }
});
