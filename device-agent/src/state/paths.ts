import { join } from 'node:path';

/** Where the agent keeps its state; one agent process owns one state directory. */
export function statePaths(stateDir: string) {
  return {
    root: stateDir,
    /** The device identity (private keys), mode 0600, never printed. */
    identity: join(stateDir, 'identity.key'),
    /** The device's own list of authorised viewers (public cards only). */
    viewers: join(stateDir, 'viewers.json'),
    /** Last manifest per stream (public) so a restart continues each stream's epoch chain. */
    streams: join(stateDir, 'streams.json'),
    /** Sealed events waiting for the relay's acknowledgement. */
    outbox: join(stateDir, 'outbox'),
    /** What `sealcam-agent status` shows, written by `run`. */
    status: join(stateDir, 'status.json'),
    /** Held by `run` so that two agents never share a state directory. */
    lock: join(stateDir, 'agent.lock'),
    /**
     * Owner statements taken from the relay's inbox (a take is destructive there) and not yet
     * applied: kept until applied so a crash or a full disk cannot lose a revocation.
     */
    inboxPending: join(stateDir, 'inbox-pending.json'),
  };
}

export type StatePaths = ReturnType<typeof statePaths>;
