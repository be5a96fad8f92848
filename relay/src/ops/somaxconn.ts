import { readFileSync } from 'node:fs';

/**
 * The kernel's cap on listen backlogs (net.core.somaxconn), for the startup log: a backlog asked
 * above it is silently lowered to it. Null where it cannot be read (not Linux).
 */
export function kernelSomaxconn(): number | null {
  try {
    const value = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim());
    return Number.isSafeInteger(value) ? value : null;
  } catch {
    return null;
  }
}
