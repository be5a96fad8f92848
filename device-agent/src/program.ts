/**
 * `@sealcam/device-agent/program`: where the `sealcam-agent` command's module is, for programs that
 * run the agent as a child process (`node <AGENT_PROGRAM> --state <dir> run`): the demo and tests.
 */
import { fileURLToPath } from 'node:url';

export const AGENT_PROGRAM: string = fileURLToPath(new URL('./cli.js', import.meta.url));
