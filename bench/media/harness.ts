import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { type AgentDir, type RunningCli, startCli } from '@sealcam/testkit/agent';
import { sleep } from './stats.js';

/** How long pairing steps may take on a loaded machine. */
export const START_TIMEOUT_MS = 90_000;

/** The web viewer a relay serves: the client package's Vite build. */
export function webRoot(): string {
  const sdk = createRequire(import.meta.url).resolve('@sealcam/client');
  return resolve(dirname(sdk), '..', '..', 'webapp');
}

/** Runs `sealcam-agent pair` and lets `answer` pair with its code or link; fails unless it ends well. */
export async function pair(
  dir: AgentDir,
  answer: (code: string, link: string) => Promise<void>,
): Promise<void> {
  const pairing = startCli(dir, ['pair', '--no-qr']);
  try {
    const [, link] = await pairing.waitFor(/pairing link: (\S+)/, START_TIMEOUT_MS);
    const [, code] = await pairing.waitFor(/pairing code: (SCP1-[A-Za-z0-9-]+)/, START_TIMEOUT_MS);
    await answer(code!, link!);
    await pairing.waitFor(/safety number/, START_TIMEOUT_MS);
    const status = await Promise.race([pairing.exited, sleep(START_TIMEOUT_MS).then(() => 'timeout')]);
    if (status !== 0) throw new Error(`sealcam-agent pair ended with ${status}`);
  } finally {
    await pairing.kill();
  }
}

export async function stopAgent(run: RunningCli): Promise<void> {
  // The agent gives up a stuck stop after 15 s itself; this only ends a hung process.
  const timer = setTimeout(() => void run.kill(), 30_000);
  await run.stop().catch(() => undefined);
  clearTimeout(timer);
}

/**
 * A numeric command-line option within [min, max]; otherwise says so with the usage on stderr and
 * exits with 2.
 */
export function boundedOption(
  program: string,
  usage: string,
): (text: string, name: string, min: number, max: number) => number {
  return (text, name, min, max) => {
    const value = Number(text);
    if (!Number.isFinite(value) || value < min || value > max) {
      process.stderr.write(`${program}: --${name} must be a number from ${min} to ${max}\n${usage}`);
      process.exit(2);
    }
    return value;
  };
}
