import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RtspTestCameraOptions {
  readonly width?: number;
  readonly height?: number;
  readonly fps?: number;
  /** Require these Basic auth credentials on every request. */
  readonly credentials?: { readonly user: string; readonly password: string };
}

/**
 * An IP camera on 127.0.0.1 for tests: a real ffmpeg encodes a test pattern to H.264 (libx264,
 * zerolatency) and sends it as RTP to local UDP ports, writing the SDP that describes the stream; a
 * minimal RTSP server here answers OPTIONS, DESCRIBE (that SDP with control attributes), SETUP (TCP
 * interleaved only), PLAY and TEARDOWN, and forwards every RTP/RTCP packet from ffmpeg to the playing
 * clients as interleaved `$` frames on their RTSP connection. ffmpeg cannot serve RTSP PLAY itself
 * (its `-rtsp_flags listen` only accepts a publisher's RECORD), so this is the smallest faithful camera:
 * the client under test connects, DESCRIBEs, SETUPs and PLAYs as it would with real hardware.
 */
export class RtspTestCamera {
  /** PLAY requests answered. */
  plays = 0;
  private readonly sessions = new Set<Socket>();
  private readonly playing = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    private readonly rtp: UdpSocket,
    private readonly rtcp: UdpSocket,
    private readonly ffmpeg: ChildProcess,
    private readonly dir: string,
    private readonly sdp: string,
    private readonly options: RtspTestCameraOptions,
  ) {}

  static async start(options: RtspTestCameraOptions = {}): Promise<RtspTestCamera> {
    const { width = 320, height = 240, fps = 10 } = options;
    const dir = mkdtempSync(join(tmpdir(), 'sealcam-rtsp-'));
    const sdpPath = join(dir, 'stream.sdp');
    const rtp = createSocket('udp4');
    const rtcp = createSocket('udp4');
    rtp.bind(0, '127.0.0.1');
    rtcp.bind(0, '127.0.0.1');
    await Promise.all([once(rtp, 'listening'), once(rtcp, 'listening')]);
    // biome-ignore format: one option per line pair reads best
    const args = [
      '-hide_banner', '-loglevel', 'error', '-nostdin',
      // -t: bounded even if the test process dies without stopping it (nothing else would end it).
      '-re', '-f', 'lavfi', '-t', '300', '-i', `testsrc=size=${width}x${height}:rate=${fps}`,
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-threads', '1',
      '-g', String(fps), '-pix_fmt', 'yuv420p', '-flags:v', '+global_header',
      '-f', 'rtp', '-sdp_file', sdpPath,
      `rtp://127.0.0.1:${rtp.address().port}?rtcpport=${rtcp.address().port}&pkt_size=1200`,
    ];
    const ffmpeg = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    ffmpeg.stderr?.setEncoding('utf8');
    ffmpeg.stderr?.on('data', (text: string) => {
      stderr = (stderr + text).slice(-4000);
    });
    const server = createServer();
    try {
      const sdp = await waitForSdp(sdpPath, ffmpeg, () => stderr);
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const camera = new RtspTestCamera(server, rtp, rtcp, ffmpeg, dir, sdp, options);
      server.on('connection', (socket) => camera.accept(socket));
      rtp.on('message', (packet) => camera.forward(0, packet));
      rtcp.on('message', (packet) => camera.forward(1, packet));
      return camera;
    } catch (error) {
      ffmpeg.kill('SIGKILL');
      if (ffmpeg.exitCode === null && ffmpeg.signalCode === null) await once(ffmpeg, 'exit');
      rtp.close();
      rtcp.close();
      server.close();
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  /** The stream's URL, optionally with credentials in it. */
  url(credentials?: { user: string; password: string }): string {
    const auth = credentials
      ? `${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@`
      : '';
    return `rtsp://${auth}127.0.0.1:${this.port}/live`;
  }

  get ffmpegPid(): number | undefined {
    return this.ffmpeg.pid;
  }

  async stop(): Promise<void> {
    for (const socket of this.sessions) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (this.ffmpeg.exitCode === null && this.ffmpeg.signalCode === null) {
      this.ffmpeg.kill('SIGTERM');
      const kill = setTimeout(() => this.ffmpeg.kill('SIGKILL'), 2000);
      await once(this.ffmpeg, 'exit');
      clearTimeout(kill);
    }
    this.rtp.close();
    this.rtcp.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private forward(channel: number, packet: Buffer): void {
    if (this.playing.size === 0) return;
    const header = Buffer.from([0x24, channel, packet.length >> 8, packet.length & 0xff]);
    for (const socket of this.playing) {
      if (socket.writableLength > 1024 * 1024) continue; // a stalled client loses packets, as with UDP
      socket.write(header);
      socket.write(packet);
    }
  }

  private accept(socket: Socket): void {
    this.sessions.add(socket);
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        if (pending.length > 0 && pending[0] === 0x24) {
          // The client's own interleaved RTCP (receiver reports): skipped.
          if (pending.length < 4) return;
          const length = 4 + pending.readUInt16BE(2);
          if (pending.length < length) return;
          pending = pending.subarray(length);
          continue;
        }
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) {
          if (pending.length > 64 * 1024) socket.destroy();
          return;
        }
        const head = pending.toString('latin1', 0, end);
        const bodyLength = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        if (pending.length < end + 4 + bodyLength) return;
        pending = pending.subarray(end + 4 + bodyLength);
        this.answer(socket, head);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.sessions.delete(socket);
      this.playing.delete(socket);
    });
  }

  private answer(socket: Socket, head: string): void {
    const [requestLine = '', ...headerLines] = head.split('\r\n');
    const [method = '', url = ''] = requestLine.split(' ');
    const header = (name: string) =>
      headerLines
        .find((line) => line.toLowerCase().startsWith(`${name}:`))
        ?.slice(name.length + 1)
        .trim();
    const cseq = header('cseq') ?? '0';
    const reply = (status: string, headers: Record<string, string> = {}, body = '') => {
      const lines = [`RTSP/1.0 ${status}`, `CSeq: ${cseq}`, 'Server: sealcam-test-camera'];
      for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
      if (body) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
    };
    const { credentials } = this.options;
    if (credentials) {
      const expected = `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`;
      if (header('authorization') !== expected) {
        reply('401 Unauthorized', { 'WWW-Authenticate': 'Basic realm="camera"' });
        return;
      }
    }
    const session = '4f1c2a7e';
    switch (method) {
      case 'OPTIONS':
        reply('200 OK', { Public: 'OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER' });
        return;
      case 'DESCRIBE':
        reply(
          '200 OK',
          { 'Content-Type': 'application/sdp', 'Content-Base': `${url.replace(/\/$/, '')}/` },
          this.sdp,
        );
        return;
      case 'SETUP': {
        const transport = header('transport') ?? '';
        if (!/RTP\/AVP\/TCP/i.test(transport)) {
          reply('461 Unsupported Transport');
          return;
        }
        reply('200 OK', {
          Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1',
          Session: `${session};timeout=60`,
        });
        return;
      }
      case 'PLAY':
        this.plays++;
        reply('200 OK', { Session: session, Range: 'npt=0.000-' });
        this.playing.add(socket);
        return;
      case 'TEARDOWN':
        this.playing.delete(socket);
        reply('200 OK', { Session: session });
        return;
      case 'GET_PARAMETER':
        reply('200 OK', { Session: session });
        return;
      default:
        reply('405 Method Not Allowed');
    }
  }
}

/** ffmpeg's SDP, made into a DESCRIBE answer: no fixed address or port, control URLs added. */
async function waitForSdp(path: string, ffmpeg: ChildProcess, stderr: () => string): Promise<string> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (ffmpeg.exitCode !== null) throw new Error(`test camera ffmpeg exited early: ${stderr()}`);
    let text = '';
    try {
      text = readFileSync(path, 'utf8');
    } catch {}
    if (/^m=video/m.test(text) && /^a=rtpmap/m.test(text)) {
      const lines: string[] = [];
      for (const line of text.split(/\r?\n/)) {
        if (!line || line.startsWith('SDP:')) continue;
        if (line.startsWith('c=')) lines.push('c=IN IP4 0.0.0.0');
        else if (line.startsWith('m=video'))
          lines.push(line.replace(/^m=video \d+/, 'm=video 0'), 'a=control:trackID=0');
        else lines.push(line);
        if (line.startsWith('t=')) lines.push('a=control:*');
      }
      return `${lines.join('\r\n')}\r\n`;
    }
    await sleep(20);
  }
  throw new Error(`test camera ffmpeg wrote no SDP within 60 s: ${stderr()}`);
}
