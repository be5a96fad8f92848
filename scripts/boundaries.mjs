// The packages' boundaries: a workspace uses another only through that package's package.json
// `exports`. findViolations(root) reads every source file of every workspace (src, test, bench, web,
// scripts: .ts/.mts/.cts/.js/.mjs/.cjs, not node_modules or dist) and every tsconfig*.json, and
// returns each place that reaches into another package's insides. scripts/test/boundaries.test.mjs
// runs it on the repository and, first, on crafted bad inputs to show it catches each kind.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** The closed set of what a violation can be. */
export const Kind = Object.freeze({
  /** `@sealcam/<pkg>/<subpath>` where the subpath is not in that package's exports map. */
  NotExported: 'not-exported',
  /** A `@sealcam/…` specifier with a `dist/` segment (a build output, src or test). */
  DistPath: 'dist-path',
  /** A relative (or absolute) specifier that leaves the importing file's package. */
  ClimbsOut: 'climbs-out',
  /** A `@sealcam/…` package that is not a workspace, or one without an exports map. */
  NoEntry: 'no-entry',
  /** A tsconfig reference to another package's test (or other non-main) tsconfig. */
  TestTsconfig: 'test-tsconfig',
  /** A tsconfig `extends`, `include`, `files`, `paths` or `rootDirs` entry inside another package. */
  TsconfigReach: 'tsconfig-reach',
  /** Shipped code (a package's src/, bin/ or web/) or its runtime dependencies use the test kit. */
  ShipsTestSupport: 'ships-test-support',
});

/** The private workspace of shared test support: tests may use it; nothing that ships may. */
const TEST_SUPPORT = '@sealcam/testkit';
const SHIPPED_DIRS = ['src', 'bin', 'web'];

const CODE = /\.(?:[cm]?ts|[cm]?js)$/;
const SKIP = new Set(['node_modules', 'dist', '.git']);
// Every way a module names another: static import/export … from, side-effect import, dynamic
// import(), require(), require.resolve(), import.meta.resolve().
const SPECIFIERS = [
  /\b(?:import|export)\s[^'"`;]*?\sfrom\s*(['"])([^'"]+)\1/g,
  /\bimport\s*(['"])([^'"]+)\1/g,
  /\bimport\s*\(\s*(['"])([^'"]+)\1\s*\)/g,
  /\brequire\s*\(\s*(['"])([^'"]+)\1\s*\)/g,
  /\brequire\.resolve\s*\(\s*(['"])([^'"]+)\1/g,
  /\bimport\.meta\.resolve\s*\(\s*(['"])([^'"]+)\1/g,
  // Template literals without substitutions, e.g. import(`@sealcam/x/dist/y.js`).
  /\bimport\s*\(\s*(`)([^`$]+)`\s*\)/g,
  // A file located by URL from this module: new URL('../../other/dist/main.js', import.meta.url).
  /\bnew\s+URL\s*\(\s*(['"`])(\.[^'"`$]*)\1\s*,\s*import\.meta\.url/g,
];

function readJson(path) {
  // tsconfig files may carry comments and trailing commas.
  const text = readFileSync(path, 'utf8')
    .replace(/^\s*\/\/.*$/gm, '')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/,(\s*[}\]])/g, '$1');
  return JSON.parse(text);
}

/** The workspaces of the repository at `root`: directory, package name and exports keys (or null). */
export function workspaces(root) {
  return readJson(join(root, 'package.json')).workspaces.map((dir) => {
    const manifest = readJson(join(root, dir, 'package.json'));
    const exports = manifest.exports;
    let keys = null;
    if (typeof exports === 'string') keys = ['.'];
    else if (exports && typeof exports === 'object') {
      const entries = Object.keys(exports);
      keys = entries.every((key) => key.startsWith('.')) ? entries : ['.'];
    }
    return { dir: resolve(root, dir), name: manifest.name, exports: keys };
  });
}

function walk(dir, visit) {
  for (const entry of readdirSync(dir).sort()) {
    if (SKIP.has(entry)) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path, visit);
    else visit(path);
  }
}

function exported(keys, subpath) {
  return keys.some((key) => {
    const star = key.indexOf('*');
    if (star < 0) return key === subpath;
    return subpath.startsWith(key.slice(0, star)) && subpath.endsWith(key.slice(star + 1));
  });
}

function inside(dir, path) {
  return path === dir || path.startsWith(dir + sep);
}

/** What is wrong with `specifier` in a file of package `own`, or null. */
function judge(specifier, file, own, byName) {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('file:')) {
    const target = specifier.startsWith('file:')
      ? new URL(specifier).pathname
      : resolve(dirname(file), specifier);
    return inside(own.dir, target) ? null : { kind: Kind.ClimbsOut, detail: specifier };
  }
  const match = /^(@sealcam\/[^/]+)(\/.*)?$/.exec(specifier);
  if (!match) return null;
  const [, name, rest] = match;
  const subpath = rest ? `.${rest}` : '.';
  if (/(^|\/)dist(\/|$)/.test(subpath)) return { kind: Kind.DistPath, detail: specifier };
  const target = byName.get(name);
  if (!target || target.exports === null) return { kind: Kind.NoEntry, detail: specifier };
  return exported(target.exports, subpath) ? null : { kind: Kind.NotExported, detail: specifier };
}

/** Every path a tsconfig names besides its references: extends, include, files, paths, rootDirs. */
function tsconfigPaths(config) {
  const options = config.compilerOptions ?? {};
  const extendsList = [config.extends ?? []].flat();
  return [
    ...extendsList.filter((entry) => entry.startsWith('.')),
    ...(config.include ?? []),
    ...(config.files ?? []),
    ...Object.values(options.paths ?? {}).flat(),
    ...(options.rootDirs ?? []),
  ];
}

function referenceViolations(file, own, packages) {
  const config = readJson(file);
  const references = config.references ?? [];
  const found = [];
  for (const entry of tsconfigPaths(config)) {
    const target = resolve(dirname(file), entry);
    const other = packages.find((pkg) => inside(pkg.dir, target));
    if (other && other !== own) found.push({ kind: Kind.TsconfigReach, detail: entry });
  }
  for (const { path } of references) {
    const target = resolve(dirname(file), path);
    const other = packages.find((pkg) => inside(pkg.dir, target));
    if (!other || other === own) continue;
    const mainConfig = target === other.dir || target === join(other.dir, 'tsconfig.json');
    if (!mainConfig) found.push({ kind: Kind.TestTsconfig, detail: path });
  }
  return found;
}

/** Every boundary violation under `root`: { file (relative to root), kind, detail }. */
export function findViolations(root) {
  const packages = workspaces(root);
  const byName = new Map(packages.map((pkg) => [pkg.name, pkg]));
  const violations = [];
  for (const own of packages) {
    if (!existsSync(own.dir)) continue;
    const manifest = readJson(join(own.dir, 'package.json'));
    if (own.name !== TEST_SUPPORT && manifest.dependencies?.[TEST_SUPPORT])
      violations.push({
        file: relative(root, join(own.dir, 'package.json')),
        kind: Kind.ShipsTestSupport,
        detail: `dependencies: ${TEST_SUPPORT}`,
      });
    const shipped = SHIPPED_DIRS.map((dir) => join(own.dir, dir));
    walk(own.dir, (file) => {
      const where = relative(root, file);
      const name = file.slice(file.lastIndexOf(sep) + 1);
      if (/^tsconfig.*\.json$/.test(name)) {
        for (const found of referenceViolations(file, own, packages))
          violations.push({ file: where, ...found });
        return;
      }
      if (!CODE.test(name)) return;
      const text = readFileSync(file, 'utf8');
      for (const pattern of SPECIFIERS) {
        for (const match of text.matchAll(pattern)) {
          const found = judge(match[2], file, own, byName);
          if (found) violations.push({ file: where, ...found });
          const testSupport = match[2] === TEST_SUPPORT || match[2].startsWith(`${TEST_SUPPORT}/`);
          if (testSupport && own.name !== TEST_SUPPORT && shipped.some((dir) => inside(dir, file)))
            violations.push({ file: where, kind: Kind.ShipsTestSupport, detail: match[2] });
        }
      }
    });
  }
  return violations;
}

/** Every @sealcam specifier another package uses, by package: what the packages rely on of each other. */
export function crossPackageImports(root) {
  const packages = workspaces(root);
  const used = new Set();
  for (const own of packages) {
    walk(own.dir, (file) => {
      if (!CODE.test(file)) return;
      for (const pattern of SPECIFIERS) {
        for (const match of readFileSync(file, 'utf8').matchAll(pattern)) {
          const specifier = match[2];
          if (
            specifier.startsWith('@sealcam/') &&
            !specifier.startsWith(`${own.name}/`) &&
            specifier !== own.name
          )
            used.add(`${relative(root, own.dir)} -> ${specifier}`);
        }
      }
    });
  }
  return [...used].sort();
}
