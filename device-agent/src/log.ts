import { pino } from 'pino';

export type Logger = pino.Logger;

/**
 * Structured JSON logs on stderr. Callers log ids, counts and reasons only — never frame, thumbnail,
 * clip or key bytes (device-agent/test/agent-end-to-end.test.ts checks the output for keys).
 */
export function createLogger(level = process.env.SEALCAM_AGENT_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { service: 'device-agent' } }, pino.destination(2));
}

/** A logger that drops everything (tests and library use). */
export const silentLogger: Logger = pino({ level: 'silent' });
