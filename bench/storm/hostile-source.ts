import { connect, type Socket } from 'node:net';

/** The one address the hostile client connects from (no home of the fleet uses 127.0.0.0/16). */
export const HOSTILE_ADDRESS = '127.0.9.9';

export interface HostileFigures {
  /** Sockets the hostile address opened (all at once, when the storm began). */
  readonly opened: number;
  /** Sockets whose connect failed before the relay could answer. */
  readonly connectFailed: number;
  /** Sockets the relay refused at once: answered 503 (a per-source cap) and closed. */
  readonly refused: number;
  /** Sockets the relay took and later closed for not finishing their request (header timeout: 408 or no answer). */
  readonly timedOut: number;
  /** Sockets closed with another answer (none is expected). */
  readonly otherAnswer: number;
  /** Sockets still open and unanswered when the figures were taken (held by the relay). */
  readonly held: number;
}

/**
 * One client address holding as many half-open sockets as it can: each connects, sends the start
 * of a request and never finishes it (the relay's header timeout is what frees it). Opened all at
 * once, not reopened: with a per-source cap the relay answers all but the cap's worth at once.
 */
export class HostileSource {
  private readonly sockets: Socket[] = [];
  private connectFailed = 0;
  private refused = 0;
  private timedOut = 0;
  private otherAnswer = 0;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  open(count: number): void {
    for (let i = 0; i < count; i++) {
      let status: string | null = null;
      let connected = false;
      const socket = connect({ host: this.host, port: this.port, localAddress: HOSTILE_ADDRESS });
      socket.on('connect', () => {
        connected = true;
        socket.write('GET /v1/live HTTP/1.1\r\nHost: relay\r\n');
      });
      socket.on('data', (data: Buffer) => {
        status ??= /^HTTP\/1\.1 (\d{3}) /.exec(data.toString('latin1', 0, 16))?.[1] ?? 'other';
      });
      socket.on('error', () => undefined);
      socket.on('close', () => {
        if (!connected) this.connectFailed += 1;
        else if (status === '503') this.refused += 1;
        else if (status === null || status === '408') this.timedOut += 1;
        else this.otherAnswer += 1;
      });
      this.sockets.push(socket);
    }
  }

  figures(): HostileFigures {
    return {
      opened: this.sockets.length,
      connectFailed: this.connectFailed,
      refused: this.refused,
      timedOut: this.timedOut,
      otherAnswer: this.otherAnswer,
      held: this.sockets.filter((socket) => !socket.destroyed && socket.bytesRead === 0).length,
    };
  }

  close(): void {
    for (const socket of this.sockets) socket.destroy();
  }
}
