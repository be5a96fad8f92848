import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ID_TEXT_SOURCE } from '@sealcam/protocol';
import { decodeEventFile, isTempFileName, parseEventFileName } from '../src/outbox/event-file.js';
import { CORRUPT_DIR, Outbox } from '../src/outbox/outbox.js';
import {
  assertSameEntry,
  BASE_CREATED_AT,
  captureLogger,
  makeEntry,
  withTempDir,
} from './support/outbox-fixtures.js';

const CHILD = fileURLToPath(new URL('./support/outbox-writer-child.js', import.meta.url));
/** Small enough that the put rounds also evict (entries are ~1–100 KB). */
const MAX_BYTES = 2 * 1024 * 1024;

type Mode = 'put' | 'churn' | 'drain';

interface Round {
  readonly mode: Mode;
  /**
   * Kill this long after the child's first fact (put/drain rounds: its first put or removal, so every
   * round makes progress however slow the machine), or after spawn (to also hit start-up and open).
   */
  readonly delayMs: number;
  readonly fromSpawn: boolean;
}

type Fact =
  | { readonly kind: 'put'; readonly index: number; readonly id: string }
  | { readonly kind: 'removed' | 'evicted'; readonly id: string };

interface ChildRun {
  readonly facts: Fact[];
  readonly ready: boolean;
  readonly done: boolean;
  /** The SIGKILL (if any) came from the round's timer, not the safety kill. */
  readonly killedByRound: boolean;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

function parseLine(line: string): Fact | 'ready' | 'done' {
  if (line === 'ready' || line === 'done') return line;
  const put = new RegExp(String.raw`^put (\d+) (${ID_TEXT_SOURCE})$`).exec(line);
  if (put) return { kind: 'put', index: Number(put[1]), id: put[2]! };
  const gone = new RegExp(`^(removed|evicted) (${ID_TEXT_SOURCE})$`).exec(line);
  if (gone) return { kind: gone[1] as 'removed' | 'evicted', id: gone[2]! };
  throw new Error(`unexpected child output line: ${JSON.stringify(line)}`);
}

function runChild(dir: string, first: number, round: Round): Promise<ChildRun> {
  const child = spawn(process.execPath, [CHILD, dir, round.mode, String(first), String(MAX_BYTES)], {
    // fd 3 carries the child's facts (see outbox-writer-child.ts).
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  const factsPipe = child.stdio[3] as Readable;
  const facts: Fact[] = [];
  let ready = false;
  let done = false;
  let stderr = '';
  let killTimer: NodeJS.Timeout | undefined;
  let killedByRound = false;
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const killForRound = () => {
    killedByRound = true;
    kill();
  };
  if (round.fromSpawn) killTimer = setTimeout(killForRound, round.delayMs);
  // Only for a hung child: a busy machine may take seconds to start one.
  const safety = setTimeout(kill, 120_000);
  let timed = round.fromSpawn;
  const startKillTimer = () => {
    if (timed) return;
    timed = true;
    killTimer = setTimeout(killForRound, round.delayMs);
  };
  const stderrPipe = child.stdio[2] as Readable;
  stderrPipe.setEncoding('utf8');
  stderrPipe.on('data', (text: string) => {
    stderr += text;
  });
  createInterface({ input: factsPipe }).on('line', (line) => {
    const parsed = parseLine(line);
    if (parsed === 'ready') {
      ready = true;
      // A drain may find nothing to do: its timer starts at once.
      if (round.mode === 'drain') startKillTimer();
    } else if (parsed === 'done') {
      done = true;
      clearTimeout(killTimer);
    } else {
      facts.push(parsed);
      startKillTimer();
    }
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killTimer);
      clearTimeout(safety);
      resolve({ facts, ready, done, killedByRound, code, signal, stderr });
    });
  });
}

/** Deterministic delays from a printed seed (set OUTBOX_KILL_SEED to replay a failure). */
function rng(seed: number): (low: number, high: number) => number {
  let state = seed >>> 0 || 1;
  return (low, high) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return low + ((state >>> 0) % (high - low + 1));
  };
}

const indexOf = (createdAt: number) => createdAt - BASE_CREATED_AT;

test(
  'kill -9 at arbitrary moments never loses a durable put nor leaves a corrupt entry',
  { timeout: 300_000 },
  (t) =>
    withTempDir(async (dir) => {
      const seed = Number(process.env.OUTBOX_KILL_SEED ?? Date.now() % 1_000_000_000);
      t.diagnostic(`seed ${seed}`);
      const between = rng(seed);
      const rounds: Round[] = [
        ...Array.from({ length: 7 }, () => ({
          mode: 'put' as const,
          delayMs: between(20, 300),
          fromSpawn: false,
        })),
        // Measured from spawn: sometimes lands during start-up or Outbox.open (temp clean-up).
        { mode: 'put', delayMs: between(60, 300), fromSpawn: true },
        { mode: 'churn', delayMs: between(20, 300), fromSpawn: false },
        { mode: 'churn', delayMs: between(20, 300), fromSpawn: false },
        { mode: 'drain', delayMs: between(5, 60), fromSpawn: false },
      ];

      /** id -> index of every entry known to be in the outbox after the previous round's check. */
      let known = new Map<string, number>();
      let reportedPuts = 0;
      let reportedEvictions = 0;
      let reportedRemovals = 0;
      let tempFilesSeen = 0;
      let unreportedComplete = 0;

      for (const [r, round] of rounds.entries()) {
        const label = `seed ${seed}, round ${r} (${round.mode}, kill after ${round.delayMs} ms${round.fromSpawn ? ' from spawn' : ''})`;
        const first = (r + 1) * 100_000;
        const run = await runChild(dir, first, round);
        // A drain that finished may still meet the round's kill between printing `done` and exiting
        // (not the safety kill: that would be a hang).
        if (round.mode === 'drain' && run.done)
          assert.ok(
            run.code === 0 || (run.signal === 'SIGKILL' && run.killedByRound),
            `${label}: exit ${run.code} (${run.signal}): ${run.stderr}`,
          );
        else
          assert.equal(run.signal, 'SIGKILL', `${label}: child ended by itself (${run.code}): ${run.stderr}`);

        // What the child said is true now.
        const expected = new Map(known);
        const gone = new Set<string>();
        for (const fact of run.facts) {
          if (fact.kind === 'put') {
            expected.set(fact.id, fact.index);
            reportedPuts++;
          } else {
            expected.delete(fact.id);
            gone.add(fact.id);
            if (fact.kind === 'evicted') reportedEvictions++;
            else reportedRemovals++;
          }
        }

        // 1. On disk, before any clean-up: every final-named file is complete and correct (only
        //    temporary files may be torn).
        const names = await readdir(dir);
        tempFilesSeen += names.filter(isTempFileName).length;
        for (const name of names) {
          const parsed = parseEventFileName(name);
          if (!parsed) continue;
          const entry = decodeEventFile(await readFile(join(dir, name)));
          assertSameEntry(entry, makeEntry(indexOf(entry.createdAt)), `${label}: ${name} on disk`);
        }

        // 2. Open: nothing corrupt, nothing evicted, no warning; temporary files gone.
        const log = captureLogger('info');
        const outbox = await Outbox.open(dir, { maxBytes: MAX_BYTES, logger: log.logger });
        const complaints = log.lines().filter((line) => Number(line.level) >= 40);
        assert.deepEqual(complaints, [], `${label}: open complained`);
        const after = await readdir(dir);
        assert.deepEqual(after.filter(isTempFileName), [], `${label}: temporary files left after open`);
        assert.equal(after.includes(CORRUPT_DIR), false, `${label}: something was quarantined`);
        assert.ok(outbox.bytes <= MAX_BYTES, label);

        // 3. Everything listed reads back byte-identical.
        const present = new Map<string, number>();
        for (const item of outbox.entries()) {
          present.set(item.id, indexOf(item.createdAt));
          assertSameEntry(
            await outbox.read(item.id),
            makeEntry(indexOf(item.createdAt)),
            `${label}: ${item.id}`,
          );
        }
        await outbox.close();

        // 4. Reported removals and evictions are gone.
        for (const id of gone) assert.equal(present.has(id), false, `${label}: ${id} was reported gone`);

        // 5. Every reported put is present, except at most one that an interrupted eviction or
        //    removal had already unlinked — and that one is older than everything still queued.
        const missing = [...expected].filter(([id]) => !present.has(id));
        assert.ok(
          missing.length <= 1,
          `${label}: durable puts missing: ${missing.map(([id]) => id).join(', ')}`,
        );
        const oldestKept = Math.min(
          ...[...expected].filter(([id]) => present.has(id)).map(([, index]) => index),
        );
        for (const [id, index] of missing)
          assert.ok(index < oldestKept, `${label}: ${id} missing but newer entries were kept`);

        // 6. An entry nobody reported may exist only if it is this round's interrupted put.
        const extras = [...present].filter(([id]) => !expected.has(id));
        assert.ok(extras.length <= 1, `${label}: unexpected entries ${extras.map(([id]) => id).join(', ')}`);
        for (const [id, index] of extras) {
          assert.ok(index >= first && round.mode !== 'drain', `${label}: unexpected entry ${id}`);
          assert.equal(gone.has(id), false);
          unreportedComplete++;
        }
        if (round.mode === 'drain' && run.done)
          assert.equal(present.size, 0, `${label}: drained outbox not empty`);
        known = present;
      }

      t.diagnostic(
        `puts reported ${reportedPuts}, evictions reported ${reportedEvictions}, removals reported ${reportedRemovals}, ` +
          `temporary files found after a kill ${tempFilesSeen}, complete unreported puts ${unreportedComplete}`,
      );
      assert.ok(reportedPuts >= 9, `the children made progress (${reportedPuts} puts)`);
    }),
);
