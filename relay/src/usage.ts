import { OPTIONS } from './config/options.js';

/** `sealcam-relay --help`: the relay is configured by environment variables only; this lists them. */
export function relayUsage(): string {
  const rows = Object.values(OPTIONS).map((option) => {
    const fallback = option.default === null ? '' : ` (default ${String(option.default)})`;
    return `  ${option.env.padEnd(36)} ${option.description}${fallback}`;
  });
  return [
    'Usage: sealcam-relay   (or: npm run relay, from the repository root)',
    '',
    'The sealcam blind relay: authenticates devices and viewers, stores and forwards ciphertext only.',
    'Configured by environment variables (relay/README.md explains each):',
    '',
    ...rows,
    '',
  ].join('\n');
}

/** Exit status of `sealcam-relay` for a listen failure the operator can fix (port in use, address not ours). */
export const EXIT_LISTEN = 3;

/** One line for a listen failure whose cause the operator can fix, or undefined. */
export function listenFailure(error: unknown, host: string, port: number): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') {
    return `sealcam relay: port ${port} on ${host} is already in use; choose another with SEALCAM_PORT`;
  }
  if (code === 'EADDRNOTAVAIL')
    return `sealcam relay: ${host} is not an address of this machine (SEALCAM_HOST)`;
  if (code === 'EACCES') return `sealcam relay: not allowed to listen on port ${port} (SEALCAM_PORT)`;
  return undefined;
}
