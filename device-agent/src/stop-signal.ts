/**
 * Resolves with the first SIGINT or SIGTERM; a second one during the stop that follows exits at once
 * (status 1), as the relay does.
 *
 * The listeners are added with `on`, not `once`, and stay until the process exits. signal-exit (used
 * by write-file-atomic for every atomic write, and by proper-lockfile) re-raises a signal when it sees
 * no listener but its own: a `once` listener removes itself before signal-exit's runs if that one was
 * added later — as during an atomic write in flight (an outbox put, the status file) — so a SIGTERM
 * arriving in such a write killed the agent without its graceful stop. On a busy machine, where an
 * fsync takes long, that was most SIGTERMs.
 */
export function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) process.exit(1);
      stopping = true;
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
