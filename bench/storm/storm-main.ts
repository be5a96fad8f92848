/**
 * `npm run bench:storm -- --devices N [--nodes K] [--store memory|redis] [--json]`: the reconnect
 * storm at fleet scale (issue #16). See bench/README.md.
 */
import { parseArgs } from 'node:util';
import { boundedOption } from '../media/harness.js';
import { runStorm, type StormReport } from './storm.js';

const USAGE = `Usage: npm run bench:storm -- --devices N [--nodes K] [--store memory|redis] [--workers W]
                              [--token-seconds S] [--echo-seconds S] [--timeout-seconds S]
                              [--handshake-rate R] [--handshake-burst B] [--devices-per-home H]
                              [--hostile-sockets S] [--cpu-prof DIR] [--json]

A fleet of N devices (the device agent's own session and live-connection code, spread over W worker
processes) connects to K relay processes on loopback (K > 1 share a Redis); then every connection is
cut at once and every token discarded, and each device's time until it is connected again is
measured, with the relays' CPU per device and peak RSS, admission refusals, the devices' failures by
kind and the kernel's listen-queue overflows. The echo check then watches disconnections for
--echo-seconds (default: the token lifetime + 30 s; 0: none) with tokens of --token-seconds (default
60). --handshake-rate/--handshake-burst set the relays' admission (default: the relay's defaults).
--devices-per-home H: devices live H to a home, each home on its own loopback address (127.1.x.y),
under the relays' default per-source limits (default 0: all on 127.0.0.1, per-source limits lifted).
--hostile-sockets S: when the storm begins, one other address opens S half-open sockets at node 1.
--cpu-prof DIR: each relay writes a V8 CPU profile there. --json: one JSON object on stdout.
`;

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '2000' },
    nodes: { type: 'string', default: '1' },
    store: { type: 'string', default: 'memory' },
    workers: { type: 'string' },
    'token-seconds': { type: 'string', default: '60' },
    'echo-seconds': { type: 'string' },
    'timeout-seconds': { type: 'string', default: '300' },
    'handshake-rate': { type: 'string' },
    'handshake-burst': { type: 'string' },
    'devices-per-home': { type: 'string', default: '0' },
    'hostile-sockets': { type: 'string', default: '0' },
    'cpu-prof': { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const bounded = boundedOption('bench:storm', USAGE);
const devices = bounded(values.devices, 'devices', 1, 40_000);
const nodes = bounded(values.nodes, 'nodes', 1, 8);
if (values.store !== 'memory' && values.store !== 'redis') {
  process.stderr.write(`bench:storm: --store is memory or redis\n\n${USAGE}`);
  process.exit(2);
}
if (nodes > 1 && values.store !== 'redis') {
  process.stderr.write('bench:storm: several nodes share state through Redis: add --store redis\n');
  process.exit(2);
}
// A worker holds one socket per device: stay well below the 20,000 open files a process may have.
const workers = bounded(values.workers ?? String(Math.max(2, Math.ceil(devices / 2500))), 'workers', 1, 16);
const tokenSeconds = bounded(values['token-seconds'], 'token-seconds', 30, 86_400);
const echoSeconds = bounded(values['echo-seconds'] ?? String(tokenSeconds + 30), 'echo-seconds', 0, 3600);
const timeoutSeconds = bounded(values['timeout-seconds'], 'timeout-seconds', 10, 3600);
const devicesPerHome = bounded(values['devices-per-home'], 'devices-per-home', 0, 1000);
if (!Number.isInteger(devicesPerHome)) {
  process.stderr.write(`bench:storm: --devices-per-home must be a whole number\n\n${USAGE}`);
  process.exit(2);
}
if (devicesPerHome > 0 && Math.ceil(devices / devicesPerHome) > 65_534) {
  process.stderr.write('bench:storm: at most 65,534 homes: raise --devices-per-home\n');
  process.exit(2);
}
const hostileSockets = bounded(values['hostile-sockets'], 'hostile-sockets', 0, 10_000);
const relayEnv: Record<string, string> = {};
if (values['handshake-rate'] !== undefined)
  relayEnv.SEALCAM_HANDSHAKE_RATE = String(bounded(values['handshake-rate'], 'handshake-rate', 1, 1_000_000));
if (values['handshake-burst'] !== undefined)
  relayEnv.SEALCAM_HANDSHAKE_BURST = String(
    bounded(values['handshake-burst'], 'handshake-burst', 1, 1_000_000),
  );

const log = (line: string) => process.stderr.write(`bench:storm: ${line}\n`);
const watchdogMs = (timeoutSeconds * 2 + echoSeconds + 600) * 1000;
const watchdog = setTimeout(() => {
  log(`gave up after ${watchdogMs / 1000} s`);
  process.exit(1);
}, watchdogMs);

let report: StormReport;
try {
  report = await runStorm(
    {
      devices,
      nodes,
      store: values.store,
      workers,
      tokenSeconds,
      echoSeconds,
      timeoutSeconds,
      relayEnv,
      devicesPerHome,
      hostileSockets,
      relayNodeArgs: values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : [],
    },
    log,
  );
} catch (error) {
  log(`failed: ${(error as Error).stack ?? error}`);
  process.exit(1);
}
clearTimeout(watchdog);
if (values.json) process.stdout.write(`${JSON.stringify({ benchmark: 'storm', relayEnv, ...report })}\n`);
else {
  const s = report.storm;
  const f = report.firstConnect;
  const failures = Object.entries(report.clientFailures)
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => `${kind} ${count}`)
    .join(', ');
  process.stdout.write(
    [
      `storm: ${report.devices} devices, ${report.nodes} relay node(s), ${report.store} store, ${report.workers} workers`,
      `  first connection  all back ${f.allBackSeconds ?? `— (${f.missing} missing)`} s, p50 ${f.p50Seconds} s, p99 ${f.p99Seconds} s`,
      `  after the drop    all back ${s.allBackSeconds ?? `— (${s.missing} missing)`} s, p50 ${s.p50Seconds} s, p90 ${s.p90Seconds} s, p99 ${s.p99Seconds} s`,
      `  relay             ${report.relayCpuMsPerDevice} ms CPU per device, peak RSS ${report.relayPeakRssMB} MB (the fleet: ${report.fleetCpuMsPerDevice} ms CPU per device)`,
      `  refusals          ${report.admissionRejections} by admission; kernel listen-queue overflows ${report.listenOverflows} (drops ${report.listenDrops})`,
      `  device failures   ${failures || 'none'}; connections replaced ${report.replacedConnections}`,
      `  sources           ${report.homes ? `${report.homes} homes, default per-source limits` : 'all on 127.0.0.1, per-source limits lifted'}; ${report.sourceCapRefusals} sockets refused by a per-source cap`,
      report.hostile
        ? `  hostile address   ${report.hostile.opened} half-open sockets: ${report.hostile.refused} refused at once, ${report.hostile.held} held, ${report.hostile.timedOut} closed by the header timeout, ${report.hostile.connectFailed} failed to connect`
        : '  hostile address   none',
      report.echo
        ? `  echo              largest drop ${report.echo.largestDrop} in 5 s (${(report.echo.largestDropFraction * 100).toFixed(2)}% of the fleet) over ${report.echo.watchedSeconds} s with ${report.echo.tokenSeconds} s tokens; ${report.echo.closedAtExpiry} closed at token expiry; ${report.echo.connectedAtEnd} connected at the end`
        : '  echo              not checked',
      '',
    ].join('\n'),
  );
}
process.exit(0);
