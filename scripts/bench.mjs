#!/usr/bin/env node
// `npm run bench`: runs every benchmark (each compares itself with a baseline measured in the same
// run), then writes bench/results/latest.json and a Markdown table bench/results/latest.md.
// The drill runs small (200 homes), sealed and as its plaintext baseline, in the same run.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';

if (process.argv.includes('--help')) {
  process.stdout.write(
    'Usage: npm run bench\n\nRuns every sealcam benchmark and a small drill with its plaintext baseline; writes\n' +
      'bench/results/latest.json and latest.md.\n',
  );
  process.exit(0);
}

function run(name, script, args = []) {
  process.stderr.write(`bench: running ${name}…\n`);
  const result = spawnSync(process.execPath, [script, '--json', ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 15 * 60_000,
  });
  if (result.status !== 0) throw new Error(`${name} benchmark failed (exit ${result.status})`);
  const line = result.stdout.trim().split('\n').at(-1);
  return JSON.parse(line);
}

const protocol = run('protocol', 'protocol/dist/bench/protocol-bench.js');
const relay = run('relay', 'relay/dist/bench/relay-bench.js');
const agent = run('agent', 'device-agent/dist/bench/agent-bench.js', ['--seconds', '5']);
const drillArgs = ['--devices', '200'];
const drill = run('drill', 'bench/dist/src/drill/main.js', drillArgs);
const drillBaseline = run('drill (plaintext baseline)', 'bench/dist/src/drill/main.js', [
  ...drillArgs,
  '--plaintext-baseline',
]);
const share = (report) => Number((report.misdelivered / report.objectsServed).toFixed(3));
const ratio = (value, baseline) => (baseline > 0 ? Number((value / baseline).toFixed(3)) : '—');

const rows = [
  [
    'protocol: seal 16 KB frames, MB/s',
    protocol.sealMBps['16KB'],
    protocol.baselineEncryptMBps['16KB'],
    protocol.sealRatio['16KB'],
    'raw XChaCha20-Poly1305',
  ],
  [
    'protocol: open 16 KB frames, MB/s',
    protocol.openMBps['16KB'],
    protocol.baselineDecryptMBps['16KB'],
    protocol.openRatio['16KB'],
    'raw XChaCha20-Poly1305',
  ],
  [
    'protocol: 1080p seal, % of a core',
    protocol.sealCorePercent1080p,
    protocol.baselineEncryptCorePercent1080p,
    protocol.sealCoreRatio1080p,
    'raw AEAD; target ≤ 0.3 %',
  ],
  ['protocol: frame overhead, bytes', protocol.frameOverheadBytes, '—', '—', ''],
  [
    'relay: saturated frames/s, memory',
    relay.relayMemoryFramesPerSec,
    relay.baselineFramesPerSec,
    relay.ratioMemory,
    `bare ws forwarder; target ≥ 0.90; median of ${relay.rounds} rounds, range ${relay.ratioMemoryRange.join('–')}`,
  ],
  [
    'relay: saturated frames/s, Redis',
    relay.relayRedisFramesPerSec,
    relay.baselineFramesPerSec,
    relay.ratioRedis,
    `bare ws forwarder; target ≥ 0.85; median of ${relay.rounds} rounds, range ${relay.ratioRedisRange.join('–')}`,
  ],
  [
    'relay: CPU µs per frame at 30 fps',
    relay.cpuMicrosPerFrame,
    relay.baselineCpuMicrosPerFrame,
    relay.cpuRatioMemory,
    'bare ws forwarder',
  ],
  [
    'relay: CPU µs per frame at saturation',
    relay.saturatedCpuMicrosPerFrame.memory,
    relay.saturatedCpuMicrosPerFrame.baseline,
    Number((relay.saturatedCpuMicrosPerFrame.memory / relay.saturatedCpuMicrosPerFrame.baseline).toFixed(2)),
    'bare ws forwarder',
  ],
  ['relay: added latency p99, ms', relay.addedLatencyP99Ms, '—', '—', 'over the forwarder'],
  [
    'agent: synthetic 720p camera, frames/s delivered',
    agent.framesPerSecond,
    agent.framesPerSecondConfigured,
    agent.framesPerSecondRatio,
    'the configured rate (slots skipped when busy)',
  ],
  [
    'agent: seal µs per 720p JPEG frame',
    agent.sealMicrosPerFrame,
    agent.rawAeadMicrosPerFrame,
    agent.sealToRawRatio,
    'raw AEAD, same frame, same moment',
  ],
  [
    'agent: CPU % per 720p camera at 15 fps, sealed',
    agent.cpuPercentWithSealing,
    agent.cpuPercentWithoutSealing,
    Number((agent.cpuPercentWithSealing / agent.cpuPercentWithoutSealing).toFixed(2)),
    'same camera without sealing',
  ],
  ...[
    [`drill (${drill.devices} homes, mixup ${drill.mixupRate}): share of served objects misdelivered`, share],
    ['drill: pictures of another home opened', (r) => r.openedByWrongViewer],
    ['drill: foreign objects accepted as authentic', (r) => r.acceptedForeign],
    ['drill: reconnect storm, all devices back, s', (r) => r.reconnectAllSeconds],
    ['drill: relay peak RSS, MB', (r) => r.relayPeakRssMB],
    ['drill: seconds', (r) => r.seconds],
  ].map(([label, figure]) => [
    label,
    figure(drill),
    figure(drillBaseline),
    ratio(figure(drill), figure(drillBaseline)),
    'same drill without sealing',
  ]),
];

const results = {
  date: new Date().toISOString(),
  machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
  protocol,
  relay,
  agent,
  drill,
  drillBaseline,
};
const table = [
  '| figure | value | same-run baseline | ratio | baseline is |',
  '| --- | --- | --- | --- | --- |',
  ...rows.map((cells) => `| ${cells.join(' | ')} |`),
].join('\n');
const markdown = `# Benchmark results\n\n${results.date} · ${results.machine.cores} cores (${results.machine.cpu}) · Node ${results.machine.node}\n\nEach figure is compared with a baseline measured in the same run; the machine is shared, so ratios mean more than absolute values.\n\n${table}\n`;
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/latest.json', `${JSON.stringify(results, null, 2)}\n`);
writeFileSync('bench/results/latest.md', markdown);
process.stdout.write(markdown);
