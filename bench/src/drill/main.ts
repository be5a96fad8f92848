#!/usr/bin/env node
import { cpus } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { runDrill } from './orchestrator.js';
import { type DrillOptions, formatReport } from './report.js';

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 1)
    throw new InvalidArgumentError('expected a positive integer');
  return parsed;
}

function rate(value: string): number {
  const parsed = Number(value);
  if (!(parsed >= 0 && parsed <= 1)) throw new InvalidArgumentError('expected a number from 0 to 1');
  return parsed;
}

const program = new Command('sealcam-drill')
  .description(
    'The sealcam drill reproduces the incident: a relay whose cache layer mixes up device-to-user mapping under a reconnect storm, with simulated cameras and viewers; counts what was misdelivered and what any viewer opened or accepted.',
  )
  .option('--devices <n>', 'simulated cameras (one home each)', positiveInteger, 500)
  .option('--viewers-per-device <k>', 'viewers paired with each camera', positiveInteger, 1)
  .addOption(new Option('--fault <kind>', 'relay fault seam').choices(['mixup', 'none']).default('mixup'))
  .option('--mixup-rate <r>', 'share of lookups and fan-outs misrouted', rate, 0.2)
  .addOption(new Option('--store <kind>', 'relay store').choices(['memory', 'redis']).default('memory'))
  .option('--plaintext-baseline', 'the same run without sealing (comparison only): counts exposures', false)
  .option('--json', 'print one JSON object', false)
  .option(
    '--workers <n>',
    'worker processes for devices and viewers',
    positiveInteger,
    Math.max(2, cpus().length),
  )
  .option('--concurrency <n>', 'homes per worker working at once', positiveInteger, 64)
  .option('--live-wave <n>', 'homes per worker watching live at once', positiveInteger, 500)
  .option('--events-before <n>', 'events per camera before the storm', positiveInteger, 1)
  .option('--events-after <n>', 'new events per camera after the storm', positiveInteger, 1)
  .option('--state-root <dir>', 'where simulated devices keep their viewer lists (default: temp dir)');

program.parse();
const flags = program.opts();
const options: DrillOptions = {
  devices: flags.devices,
  viewersPerDevice: flags.viewersPerDevice,
  fault: flags.fault,
  mixupRate: flags.mixupRate,
  store: flags.store,
  plaintextBaseline: flags.plaintextBaseline,
  workers: flags.workers,
  concurrency: flags.concurrency,
  liveWave: flags.liveWave,
  eventsBefore: flags.eventsBefore,
  eventsAfter: flags.eventsAfter,
  ...(flags.stateRoot ? { stateRoot: flags.stateRoot } : {}),
};
const json = flags.json === true;
try {
  const report = await runDrill(options, (line) => {
    if (!json) process.stderr.write(`${line}\n`);
  });
  process.stdout.write(json ? `${JSON.stringify(report)}\n` : `${formatReport(report)}\n`);
} catch (error) {
  process.stderr.write(`drill failed: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
