/**
 * Child process of agent-stop-signal.test.ts: waits for a stop signal as `device-agent run` does,
 * starts an atomic write (write-file-atomic, as the outbox and the state files use it) and sends
 * itself the signal while that write is in flight. Prints "stopped by <signal>" and exits 0 if the
 * stop was graceful; an ungraceful one ends the process by the signal itself.
 *
 *   node stop-signal-child.js <dir> <SIGTERM|SIGINT>
 */
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { stopSignal } from '../../src/stop-signal.js';

const [dir, signal] = process.argv.slice(2) as [string, NodeJS.Signals];
const stopped = stopSignal();
// signal-exit adds its listener when the write starts, after the stop listener: the order in which
// a `once` listener lost the signal. A 4 MiB write with fsync stays in flight for many loop turns.
const writing = writeFileAtomic(join(dir, 'status.json'), Buffer.alloc(4 << 20, 1), { fsync: true });
process.kill(process.pid, signal);
const received = await stopped;
await writing;
console.log(`stopped by ${received}`);
