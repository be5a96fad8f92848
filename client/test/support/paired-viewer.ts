import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ID_TEXT_SOURCE } from '@sealcam/protocol';
import type { TestAgent } from '@sealcam/testkit/agent';
import { runViewerCli } from './viewer-cli.js';

export interface PairedCliViewer {
  /** A new temporary directory (prefix `prefix`) holding the state file. */
  readonly dir: string;
  /** The viewer CLI's state file, `dir`/viewer.json, paired with the agent's device. */
  readonly state: string;
  /** The paired camera's id, as `pair` printed it. */
  readonly deviceId: string;
}

/**
 * Pairs a new viewer CLI state (named `name`) with `agent`'s device, asserting that both sides ended
 * well and that `pair` printed the camera id, then starts the agent.
 */
export async function pairCliViewer(
  agent: TestAgent,
  name: string,
  prefix: string,
): Promise<PairedCliViewer> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const state = join(dir, 'viewer.json');
  const { code, done } = await agent.pairingCode();
  const paired = await runViewerCli(state, ['pair', code, '--name', name]);
  assert.equal(paired.status, 0, paired.stderr);
  assert.equal(await done, 0);
  const deviceId = new RegExp(String.raw`camera id: +(${ID_TEXT_SOURCE})\n`).exec(paired.stdout)?.[1] ?? '';
  assert.ok(deviceId, paired.stdout);
  await agent.run();
  return { dir, state, deviceId };
}
