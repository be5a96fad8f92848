import {
  agentDir,
  type RunningCli,
  startCli,
  testCamera,
} from '@sealcam/device-agent/dist/test/support/agent-process.js';

// One relay launcher, one test camera and one poller for every package's tests.
export {
  CLI as AGENT_CLI,
  testCamera,
  until,
} from '@sealcam/device-agent/dist/test/support/agent-process.js';
export { startRelay, type TestRelay } from '@sealcam/device-agent/dist/test/support/relay.js';

export interface TestAgent {
  readonly stateDir: string;
  /** Starts `sealcam-agent pair` and resolves with the pairing code it prints (answer it with Viewer.pair). */
  pairingCode(): Promise<{ code: string; link: string; done: Promise<number | null> }>;
  /** Starts `sealcam-agent run`; resolves once it reports running. */
  run(): Promise<void>;
  stop(): Promise<void>;
  /** Everything the agent's commands printed, command by command. */
  readonly output: string[];
}

/** A real device agent (its CLI, as child processes) with synthetic cameras, against `relayUrl`. */
export function createAgent(
  relayUrl: string,
  cameras: readonly Record<string, unknown>[] = [testCamera('cam-1')],
): TestAgent {
  const dir = agentDir(relayUrl, { cameras });
  const init = dir.cli(['init']);
  if (init.status !== 0) throw new Error(`agent init failed: ${init.stderr}`);
  const commands: RunningCli[] = [];
  const start = (args: string[]) => {
    const command = startCli(dir, args);
    commands.push(command);
    return command;
  };
  return {
    stateDir: dir.stateDir,
    get output() {
      return commands.flatMap((command) => [...command.stdout, ...command.stderr]);
    },
    async pairingCode() {
      const pairing = start(['pair', '--no-qr']);
      const [, link] = await pairing.waitFor(/pairing link: (\S+)/);
      const [, code] = await pairing.waitFor(/pairing code: (SCP1-[A-Za-z0-9-]+)/);
      return { code: code!, link: link!, done: pairing.exited };
    },
    async run() {
      await start(['run']).waitFor(/agent running/);
    },
    async stop() {
      await Promise.all(
        commands.map(async (command) => {
          // The agent gives up a stuck stop after 15 s itself; this only ends a hung process.
          const timer = setTimeout(() => void command.kill(), 30_000);
          await command.stop();
          clearTimeout(timer);
        }),
      );
    },
  };
}
