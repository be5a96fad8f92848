#!/usr/bin/env node
// `npm run test:stress [-- --runs N] [--hogs N] [--filter <substring>]`: the suite on a busy machine.
// Starts CPU hogs (plain node children spinning; by default two per core) so every core is saturated,
// builds and lints once, then runs every test file (scripts/run-tests.mjs) N times in a row under that
// load, printing each run's pass/fail counts, duration and load average. The hogs are stopped at the
// end whatever happens (failure, Ctrl-C, SIGTERM), and each hog also ends by itself when its lifetime
// runs out or its parent is gone, so none can outlive the run. Exits 0 only if every step passed.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';

if (process.argv.includes('--help')) {
  process.stdout.write(
    'Usage: npm run test:stress -- [--runs N] [--hogs N] [--filter <substring>] [--max-minutes N]\n\n' +
      'Runs the sealcam test suite N times (default 1) while N CPU hogs (default two per core) saturate\n' +
      "the machine; prints each run's counts and load. Exits 0 only if every run passed.\n",
  );
  process.exit(0);
}

function option(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  if (index < 0) return fallback;
  const value = process.argv[index + 1];
  if (value === undefined) throw new Error(`test:stress: --${name} needs a value`);
  return value;
}

function positiveInteger(name, fallback) {
  const value = Number(option(name, String(fallback)));
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`test:stress: --${name} must be a positive integer`);
  return value;
}

const runs = positiveInteger('runs', 1);
const hogCount = positiveInteger('hogs', 2 * availableParallelism());
const filter = option('filter', undefined);
/** Upper bound on the hogs' lifetime: generous for the whole job, never unbounded. */
const lifetimeMs = positiveInteger('max-minutes', 10 + 20 * runs) * 60_000;

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
const log = (line) => process.stderr.write(`test:stress: ${line}\n`);

// Each hog spins in 50 ms slices so its own timers and checks still run between them: it exits when
// its lifetime is over or when its parent is gone (re-parented: ppid changed; IPC channel closed).
const HOG = `
const parent = process.ppid;
const end = Date.now() + Number(process.argv[1]);
process.on('disconnect', () => process.exit(0));
let sink = 0;
(function spin() {
  const slice = Date.now() + 50;
  while (Date.now() < slice) sink = (sink * 31 + 7) % 1000003;
  if (Date.now() > end || process.ppid !== parent) process.exit(0);
  setImmediate(spin);
})();
`;

const hogs = [];
function startHogs() {
  for (let i = 0; i < hogCount; i++) {
    const hog = spawn(process.execPath, ['-e', HOG, String(lifetimeMs)], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    hog.unref();
    hogs.push(hog);
  }
}

function stopHogs() {
  for (const hog of hogs) if (hog.exitCode === null && hog.signalCode === null) hog.kill('SIGKILL');
}

/** The step running now: its own process group (it, the test runner and what the tests started). */
let current = null;
function signalStep(signal) {
  if (!current || current.exitCode !== null || current.signalCode !== null) return;
  try {
    process.kill(-current.pid, signal);
  } catch {
    // already gone
  }
}
process.on('exit', stopHogs);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    log(`${signal}: stopping`);
    stopHogs();
    signalStep(signal);
    process.exit(130);
  });
}
// The run itself is bounded too: past the hogs' lifetime the load is gone and the figures are not.
const watchdog = setTimeout(() => {
  log(`still running after ${lifetimeMs / 60_000} min: giving up`);
  stopHogs();
  signalStep('SIGKILL');
  process.exit(1);
}, lifetimeMs);
watchdog.unref();

/** Runs a command, passing its output through; resolves with its exit status and TAP summary counts. */
function step(command, args) {
  return new Promise((resolve) => {
    // A process group of its own, so a stop reaches the test runner and everything the tests started.
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    current = child;
    const counts = { pass: null, fail: null, cancelled: null, failed: [] };
    createInterface({ input: child.stdout }).on('line', (line) => {
      process.stdout.write(`${line}\n`);
      const summary = /^# (pass|fail|cancelled) (\d+)$/.exec(line);
      if (summary) counts[summary[1]] = Number(summary[2]);
      const failure = /^\s*not ok \d+ - (.*)$/.exec(line);
      if (failure) counts.failed.push(failure[1]);
    });
    child.on('close', (code, signal) => {
      current = null;
      resolve({ status: code ?? (signal ? 1 : 0), ...counts });
    });
  });
}

startHogs();
log(`${hogCount} CPU hogs on ${availableParallelism()} cores (bounded to ${lifetimeMs / 60_000} min)`);
const started = Date.now();
let failed = false;
const setup = await step('npm', ['run', '--silent', 'build']);
const lint = setup.status === 0 ? await step('npm', ['run', '--silent', 'lint']) : setup;
const results = [];
if (lint.status !== 0) {
  log('build or lint failed under load');
  failed = true;
} else {
  for (let run = 1; run <= runs; run++) {
    const loadBefore = loadavg();
    let peak = 0;
    let sum = 0;
    let samples = 0;
    const sampler = setInterval(() => {
      const [one] = loadavg();
      peak = Math.max(peak, one);
      sum += one;
      samples++;
    }, 5000);
    const runStarted = Date.now();
    const result = await step(process.execPath, ['scripts/run-tests.mjs', ...(filter ? [filter] : [])]);
    clearInterval(sampler);
    const seconds = Math.round((Date.now() - runStarted) / 1000);
    const mean = samples ? sum / samples : loadavg()[0];
    const line =
      `run ${run}/${runs}: ${result.status === 0 ? 'PASS' : 'FAIL'} — pass ${result.pass ?? '?'}, ` +
      `fail ${result.fail ?? '?'}, cancelled ${result.cancelled ?? '?'}, ${seconds} s, ` +
      `1-min load mean ${mean.toFixed(1)} / peak ${peak.toFixed(1)} (before: ${loadBefore.join(' ')})`;
    results.push({ line, failedTests: result.failed });
    log(line);
    for (const name of result.failed) log(`  not ok: ${name}`);
    if (result.status !== 0) failed = true;
  }
}
stopHogs();
log(`summary (${Math.round((Date.now() - started) / 1000)} s in all, ${hogCount} hogs):`);
for (const { line, failedTests } of results) {
  log(`  ${line}`);
  for (const name of failedTests) log(`    not ok: ${name}`);
}
process.exit(failed ? 1 : 0);
