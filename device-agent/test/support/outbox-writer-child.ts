/**
 * Child process of outbox-kill.test.ts: works on an outbox in a tight loop until it is killed.
 *
 *   node outbox-writer-child.js <dir> <put|churn|drain> <first index> <maxBytes>
 *
 * Prints one line per fact, each only after the outbox call that makes it true has returned:
 *   ready                 the outbox is open
 *   put <index> <id>      put() resolved: the event is durable
 *   removed <id>          remove() resolved
 *   evicted <id>          the outbox evicted the event (printed from the change hook)
 *   done                  drain found the outbox empty
 * The lines go to fd 3 with writeSync, not to process.stdout: a pipe the parent reads slowly (a
 * loaded machine) fills, process.stdout then queues lines in memory, and a SIGKILL loses them. fd 3
 * is the child's own blocking end of the pipe, so a line is in the pipe when writeSync returns.
 */
import { writeSync } from 'node:fs';
import { silentLogger } from '../../src/log.js';
import { formatEventId } from '../../src/outbox/event-file.js';
import { Outbox } from '../../src/outbox/outbox.js';
import { makeEntry } from './outbox-fixtures.js';

const [dir, mode, first, max] = process.argv.slice(2);
if (!dir || !mode || !first || !max)
  throw new Error('usage: outbox-writer-child <dir> <mode> <first> <maxBytes>');

const FACTS_FD = 3;
const say = (line: string) => writeSync(FACTS_FD, `${line}\n`);

const outbox = await Outbox.open(dir, { maxBytes: Number(max), logger: silentLogger });
outbox.onChange((change) => {
  if (change.type === 'evicted') say(`evicted ${change.id}`);
});
say('ready');

async function put(index: number): Promise<void> {
  const entry = makeEntry(index);
  await outbox.put(entry);
  say(`put ${index} ${formatEventId(entry.eventId)}`);
}

async function removeOldest(): Promise<boolean> {
  const id = outbox.oldest();
  if (id === undefined) return false;
  await outbox.remove(id);
  say(`removed ${id}`);
  return true;
}

if (mode === 'put') {
  for (let index = Number(first); ; index++) await put(index);
} else if (mode === 'churn') {
  for (let index = Number(first); ; index++) {
    await put(index);
    await removeOldest();
  }
} else if (mode === 'drain') {
  while (await removeOldest()) {}
  say('done');
  await outbox.close();
} else {
  throw new Error(`unknown mode ${mode}`);
}
