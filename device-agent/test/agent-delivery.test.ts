import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ID_TEXT_SOURCE, ready } from '@sealcam/protocol';
import { agentDir, agentStatus, pairViewer, startCli } from '@sealcam/testkit/agent';
import { until } from '@sealcam/testkit/poll';
import { startRelay, type TestRelay } from '@sealcam/testkit/relay';
import { TestViewer } from './support/test-viewer.js';

let relay: TestRelay;
before(async () => {
  await ready();
  relay = await startRelay();
});
after(async () => {
  await relay?.stop();
});

/** Event ids the agent reported as sealed and durably queued (logged after the outbox put resolved). */
function queuedIds(output: string): Set<string> {
  return new Set(
    [
      ...output.matchAll(
        new RegExp(String.raw`"event":"(${ID_TEXT_SOURCE})"[^\n]*motion event sealed and queued`, 'g'),
      ),
    ].map((m) => m[1]!),
  );
}

test('kill -9 at random moments while recording and uploading, then restart: every event arrives exactly once', async () => {
  const dir = agentDir(relay.base);
  const init = dir.cli(['init']);
  assert.equal(init.status, 0, init.stderr);
  const viewer = new TestViewer(relay.base);
  await pairViewer(dir, viewer);

  const logs: string[] = [];
  const seed = Number(process.env.AGENT_KILL_SEED ?? Date.now() % 100_000);
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
  console.log(`agent kill test seed ${seed} (AGENT_KILL_SEED=${seed} replays it)`);
  for (let round = 0; round < 5; round++) {
    const run = startCli(dir, ['run']);
    await run.waitFor(/agent running/);
    // Each run first seals and queues an event (however slow the machine), then is killed at a
    // random moment within 3 s: uploads in flight and the next recording get cut.
    await run.waitFor(/motion event sealed and queued/);
    await new Promise((resolve) => setTimeout(resolve, random() * 3000));
    await run.kill();
    logs.push(run.stderr.join(''));
  }
  const final = startCli(dir, ['run']);
  try {
    await final.waitFor(/agent running/);
    await until(
      () => {
        const status = agentStatus(dir).status;
        return status !== undefined && status.pid === final.child.pid && status.outbox.depth === 0;
      },
      120_000,
      'an empty outbox',
    );
  } finally {
    await final.stop();
  }
  logs.push(final.stderr.join(''));

  const queued = new Set(logs.flatMap((log) => [...queuedIds(log)]));
  const listed = await viewer.listEvents();
  const ids = listed.map((event) => event.eventId);
  assert.ok(queued.size >= 5, `events queued across rounds (one at least in each): ${queued.size}`);
  assert.equal(new Set(ids).size, ids.length, 'no event is listed twice');
  // Stopping flushes a running event into the outbox: it waits there for the next start.
  const waiting = readdirSync(join(dir.stateDir, 'outbox'))
    .map((name) => new RegExp(String.raw`^\d+-(${ID_TEXT_SOURCE})\.evt$`).exec(name)?.[1])
    .filter((id): id is string => id !== undefined);
  assert.ok(waiting.length <= 1, `left in the outbox after the final stop: ${waiting.length}`);
  for (const id of queued) assert.ok(ids.includes(id) || waiting.includes(id), `queued event ${id} arrived`);
  // At most one event per kill can be durable but not yet logged when the process died.
  assert.ok(ids.length - queued.size <= 6, `unlogged extra events: ${ids.length - queued.size}`);
  for (const id of ids) {
    const opened = await viewer.openEvent(id);
    assert.equal(
      opened.record.streamId,
      await viewer.streamOf('cam-1'),
      'every delivered event opens completely',
    );
  }
});

test('relay down for a while: events queue on disk and all arrive after it returns', async () => {
  const local = await startRelay();
  const dir = agentDir(local.base);
  const init = dir.cli(['init']);
  assert.equal(init.status, 0, init.stderr);
  const viewer = new TestViewer(local.base);
  await pairViewer(dir, viewer);
  const run = startCli(dir, ['run']);
  let restarted: TestRelay | null = null;
  try {
    await run.waitFor(/agent running/);
    await until(() => agentStatus(dir).status?.relay.state === 'connected', 60_000, 'connected');
    await local.stop();
    const queued = await until(
      () => {
        const status = agentStatus(dir).status;
        return status && status.outbox.depth >= 2 ? status.outbox.depth : null;
      },
      120_000,
      'two events queued while the relay is down',
    );
    assert.ok(queued >= 2);
    restarted = await startRelay({}, local.port);
    await until(
      () => agentStatus(dir).status?.outbox.depth === 0,
      120_000,
      'the queue delivered after the relay returned',
    );
    // The agent registers its access list again on reconnect; until then the relay says no-grant.
    const listed = await until(
      async () => {
        const events = await viewer.listEvents();
        return events.length >= queued ? events : null;
      },
      60_000,
      'the queued events listed',
    );
    assert.ok(
      listed.length >= queued,
      `events at the relay after its return: ${listed.length} (queued ${queued})`,
    );
    for (const event of listed) assert.equal((await viewer.openEvent(event.eventId)).record.kind, 'motion');
  } finally {
    await run.stop();
    await restarted?.stop();
    await local.stop();
  }
});
