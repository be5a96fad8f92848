export type AgentErrorCode =
  | 'NOT_INITIALISED'
  | 'ALREADY_INITIALISED'
  | 'BAD_STATE'
  | 'BAD_CONFIG'
  | 'LOCKED'
  | 'PAIRING_FAILED'
  | 'NO_SUCH_VIEWER';

/** An error the CLI shows as one clear line (no stack trace). */
export class AgentError extends Error {
  constructor(
    readonly code: AgentErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AgentError';
  }
}
