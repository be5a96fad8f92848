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

/** Which listener failed, named by the variables that configure it. */
export interface Listener {
  readonly name: string;
  readonly hostVariable: string;
  readonly portVariable: string;
}

export const PUBLIC_LISTENER: Listener = {
  name: 'port',
  hostVariable: 'SEALCAM_HOST',
  portVariable: 'SEALCAM_PORT',
};
export const ADMIN_LISTENER: Listener = {
  name: 'admin port',
  hostVariable: 'SEALCAM_ADMIN_HOST',
  portVariable: 'SEALCAM_ADMIN_PORT',
};

/** One line for a listen failure whose cause the operator can fix, or undefined. */
export function listenFailure(
  error: unknown,
  host: string,
  port: number,
  listener: Listener = PUBLIC_LISTENER,
): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') {
    return `sealcam relay: ${listener.name} ${port} on ${host} is already in use; choose another with ${listener.portVariable}`;
  }
  if (code === 'EADDRNOTAVAIL')
    return `sealcam relay: ${host} is not an address of this machine (${listener.hostVariable})`;
  if (code === 'EACCES')
    return `sealcam relay: not allowed to listen on ${listener.name} ${port} (${listener.portVariable})`;
  return undefined;
}
