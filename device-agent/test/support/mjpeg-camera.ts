import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';

export interface MjpegTestCameraOptions {
  /** JPEGs served in a loop. */
  readonly frames: readonly Buffer[];
  readonly fps: number;
  /** Send a Content-Length header with each part. Default true. */
  readonly contentLength?: boolean;
  /** The boundary parameter of the Content-Type. Default "sealcamframe". */
  readonly boundary?: string;
  /** Destroy each connection after sending this many frames. */
  readonly dropAfterFrames?: number;
  /** Require these Basic auth credentials. */
  readonly credentials?: { readonly user: string; readonly password: string };
}

/** An MJPEG camera on 127.0.0.1: `multipart/x-mixed-replace` over HTTP at `url`. */
export class MjpegTestCamera {
  connections = 0;
  framesSent = 0;
  private readonly responses = new Set<ServerResponse>();

  private constructor(
    private readonly server: Server,
    private readonly options: MjpegTestCameraOptions,
  ) {}

  static async start(options: MjpegTestCameraOptions): Promise<MjpegTestCamera> {
    const server = createServer();
    const camera = new MjpegTestCamera(server, options);
    server.on('request', (request, response) => camera.serve(request, response));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return camera;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/video.mjpg`;
  }

  async stop(): Promise<void> {
    for (const response of this.responses) response.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(request: IncomingMessage, response: ServerResponse): void {
    const { credentials } = this.options;
    if (credentials) {
      const expected = `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`;
      if (request.headers.authorization !== expected) {
        response.writeHead(401, { 'www-authenticate': 'Basic realm="camera"' }).end();
        return;
      }
    }
    this.connections++;
    const boundary = this.options.boundary ?? 'sealcamframe';
    const delimiter = boundary.startsWith('--') ? boundary : `--${boundary}`;
    response.writeHead(200, {
      'content-type': `multipart/x-mixed-replace; boundary=${boundary}`,
      'cache-control': 'no-cache',
    });
    this.responses.add(response);
    let sent = 0;
    const send = () => {
      const frame = this.options.frames[this.framesSent % this.options.frames.length]!;
      const length = this.options.contentLength === false ? '' : `Content-Length: ${frame.length}\r\n`;
      response.write(`${delimiter}\r\nContent-Type: image/jpeg\r\n${length}\r\n`);
      response.write(frame);
      response.write('\r\n');
      this.framesSent++;
      sent++;
      if (this.options.dropAfterFrames !== undefined && sent >= this.options.dropAfterFrames) {
        // Let the bytes go out first, then cut the connection as a failing camera would.
        setTimeout(() => response.socket?.destroy(), 20);
        clearInterval(timer);
      }
    };
    const timer = setInterval(send, 1000 / this.options.fps);
    send();
    response.on('close', () => {
      clearInterval(timer);
      this.responses.delete(response);
    });
  }
}

/** Small distinct JPEGs: solid colours, each a different size (so a test can tell them apart). */
export async function testJpegs(count: number): Promise<Buffer[]> {
  const frames: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    frames.push(
      await sharp({
        create: {
          width: 64 + 16 * i,
          height: 48 + 8 * i,
          channels: 3,
          background: { r: 40 * i, g: 200, b: 90 },
        },
      })
        .jpeg({ quality: 80 })
        .toBuffer(),
    );
  }
  return frames;
}
