#!/usr/bin/env node
// Runs every compiled test file of every workspace with node's built-in test runner.
// Test files are TypeScript under <package>/test/, compiled to <package>/dist/test/**/*.test.js.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

if (process.argv.includes('--help')) {
  process.stdout.write(
    'Usage: node scripts/run-tests.mjs [path-substring]\n\n' +
      'Runs the sealcam tests (every <package>/dist/test/**/*.test.js, or those whose path contains the\n' +
      'substring) with node --test. `npm test` builds and lints first.\n',
  );
  process.exit(0);
}
// Every workspace (root package.json).
const packages = JSON.parse(readFileSync('package.json', 'utf8')).workspaces;
const files = [];

function walk(dir) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries.sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path);
    else if (entry.endsWith('.test.js')) files.push(path);
  }
}

// Repository-level tests (plain JavaScript, not compiled) first: the README-commands test alone
// takes about two minutes, and started last it ran alone at the end.
for (const entry of readdirSync(join('scripts', 'test')).sort()) {
  if (entry.endsWith('.test.mjs')) files.push(join('scripts', 'test', entry));
}
for (const pkg of packages) walk(join(pkg, 'dist', 'test'));
const filter = process.argv[2];
const selected = filter ? files.filter((file) => file.includes(filter)) : files;
if (selected.length === 0) {
  console.error('run-tests: no test files found (did the build run?)');
  process.exit(1);
}

// Three files at a time on two cores: the suite waits more than it computes (a run at two used 1.1
// cores on average; at three the same suite took 10.5 min instead of 13.9 here), and every test is
// written to pass on a loaded machine (scripts/test-stress.mjs runs it beside CPU hogs).
const result = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=3', '--test-timeout=300000', ...selected],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
