import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { beepAudioSource, flashVideoSource } from './av-sync.js';

export interface RtspTestCameraOptions {
  readonly width?: number;
  readonly height?: number;
  readonly fps?: number;
  /** Require these Basic auth credentials on every request. */
  readonly credentials?: { readonly user: string; readonly password: string };
  /** A 440 Hz tone as a second track: AAC (48 kHz), G.711 µ-law (PCMU, 8 kHz) or Opus (48 kHz). Default none. */
  readonly audio?: 'aac' | 'pcmu' | 'opus';
  /**
   * 'testsrc' (default): a test pattern and a steady tone. 'flash-beep': a picture that flashes white
   * and a beep at the same instants, to measure A/V sync (@sealcam/testkit/av-sync).
   */
  readonly pattern?: 'testsrc' | 'flash-beep';
  /** The video codec: H.264 (libx264, default) or H.265 (libx265), as many cameras also offer. */
  readonly videoCodec?: 'h264' | 'h265';
}

/** One RTP track's sockets and the rewriting that keeps it one continuous stream across encoder restarts. */
interface Track {
  readonly rtp: UdpSocket;
  readonly rtcp: UdpSocket;
  readonly clockRate: number;
  /** Clock ticks between the last packet of one encoder and the first of the next. */
  readonly step: number;
  ssrc: number | null;
  nextSeq: number;
  lastTimestamp: number;
  offset: number;
  generation: number;
  /** The first encoder's latest RTCP sender report (its NTP ↔ RTP timestamp mapping). */
  lastReport: Buffer | null;
  /** The RTP timestamp of this track's first sample (its encoder's first report names it). */
  rtpBase: number | null;
}

/** One CNAME for all tracks: what tells a client that they come from one camera with one clock. */
const CNAME = 'sealcam-test-camera@127.0.0.1';

/**
 * A sender report as a compound packet with an SDES CNAME chunk (RFC 3550 §6.1: every compound
 * packet carries one). ffmpeg's RTP muxer sends the SR alone; a client that groups tracks by CNAME
 * (GStreamer's rtpbin, for lip-sync) cannot relate them without it. Packets that carry more than
 * one SR, or are not SRs, are left as they are.
 */
function withCname(packet: Buffer): Buffer {
  if (packet.length < 8 || packet[1] !== 200) return packet;
  const srBytes = (packet.readUInt16BE(2) + 1) * 4;
  if (srBytes !== packet.length) return packet;
  const text = Buffer.from(CNAME, 'ascii');
  const itemBytes = 2 + text.length + 1; // CNAME item, then the END item
  const chunkBytes = 4 + Math.ceil(itemBytes / 4) * 4;
  const sdes = Buffer.alloc(4 + chunkBytes);
  sdes[0] = 0x81; // V=2, one chunk
  sdes[1] = 202;
  sdes.writeUInt16BE(sdes.length / 4 - 1, 2);
  packet.copy(sdes, 4, 4, 8); // the sender's SSRC
  sdes[8] = 1;
  sdes[9] = text.length;
  text.copy(sdes, 10);
  return Buffer.concat([packet, sdes]);
}

/** How often the camera sends each track's sender report (RFC 3550 senders: every few seconds). */
const REPORT_INTERVAL_MS = 1000;

/** Seconds between the NTP epoch (1900) and the Unix epoch. */
const NTP_UNIX_SECONDS = 2_208_988_800;

/**
 * Rewrites a sender report's NTP time (in place) to when its RTP timestamp was sampled, every track
 * from the same instant `anchorMs` for its first sample, as a camera does: the tracks' inputs start
 * together. ffmpeg's RTP muxer instead stamps each track's first report with the wall time its first
 * packet was written, so a slow encoder start (x264 under load: 220 ms measured) put the tracks that
 * far apart for a client that aligns them by these reports.
 */
function sampledReport(packet: Buffer, track: Track, anchorMs: number): void {
  if (packet.length < 20 || packet[1] !== 200 || track.rtpBase === null) return;
  const ticks = (packet.readUInt32BE(16) - track.rtpBase) | 0;
  const ms = anchorMs + (ticks * 1000) / track.clockRate;
  const seconds = Math.floor(ms / 1000);
  packet.writeUInt32BE((seconds + NTP_UNIX_SECONDS) >>> 0, 8);
  packet.writeUInt32BE(Math.floor(((ms - seconds * 1000) / 1000) * 2 ** 32) >>> 0, 12);
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
  /** 401 answers given. */
  unauthorized = 0;
  /** While true, nothing is forwarded to the clients (a camera that hangs with its connection open). */
  paused = false;
  /**
   * Whole video access units forwarded (their last RTP packet, marked, was sent) since the start of
   * the latest keyframe forwarded, that keyframe included: what a client that ends each unit at the
   * marker bit can have delivered since its latest keyframe.
   */
  unitsSinceKeyframe = 0;
  private unitOpen = false;
  private reportTimer: NodeJS.Timeout | null = null;
  private readonly sessions = new Set<Socket>();
  private readonly playing = new Set<Socket>();
  /**
   * Clients that PLAYed before the first encoder's sender report of some track existed (a slow
   * machine): they get no RTP until they have every track's report, so their first packets are
   * already on one timeline (without it ffmpeg aligns the tracks by their first packets).
   */
  private readonly awaitingReports = new Map<Socket, Set<number>>();
  private generation = 0;

  private constructor(
    private readonly server: Server,
    private readonly tracks: readonly Track[],
    private ffmpeg: ChildProcess,
    private readonly dir: string,
    private readonly sdp: string,
    private readonly options: RtspTestCameraOptions,
  ) {}

  static async start(options: RtspTestCameraOptions = {}): Promise<RtspTestCamera> {
    const { width = 320, height = 240, fps = 10 } = options;
    const dir = mkdtempSync(join(tmpdir(), 'sealcam-rtsp-'));
    const sdpPath = join(dir, 'stream.sdp');
    const tracks: Track[] = [];
    const rates = [90_000, ...(options.audio ? [options.audio === 'pcmu' ? 8000 : 48_000] : [])];
    /** When every track's first sample was taken (set by the first report of any track). */
    const anchor: { ms: number | null } = { ms: null };
    for (const clockRate of rates) {
      const rtp = createSocket('udp4');
      const rtcp = createSocket('udp4');
      rtp.bind(0, '127.0.0.1');
      rtcp.bind(0, '127.0.0.1');
      await Promise.all([once(rtp, 'listening'), once(rtcp, 'listening')]);
      const step = clockRate === 90_000 ? Math.round(90_000 / fps) : clockRate / 50;
      tracks.push({
        rtp,
        rtcp,
        clockRate,
        step,
        ssrc: null,
        nextSeq: 0,
        lastTimestamp: 0,
        offset: 0,
        generation: 0,
        lastReport: null,
        rtpBase: null,
      });
      const track = tracks.at(-1)!;
      // Kept from the start: ffmpeg sends its first report with its first packet, before any PLAY.
      // Registered before the forwarding listener, so what is forwarded is the rewritten report.
      rtcp.on('message', (packet: Buffer) => {
        if (track.generation !== 0 || packet.length < 20 || packet[1] !== 200) return;
        track.rtpBase ??= packet.readUInt32BE(16);
        anchor.ms ??= Date.now();
        sampledReport(packet, track, anchor.ms);
        track.lastReport = withCname(packet);
      });
    }
    const server = createServer();
    const { ffmpeg, stderr } = spawnEncoder(tracks, { ...options, width, height, fps }, sdpPath, true);
    try {
      const sdp = await waitForSdp(sdpPath, ffmpeg, stderr, tracks.length);
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const camera = new RtspTestCamera(server, tracks, ffmpeg, dir, sdp, options);
      camera.reportTimer = setInterval(() => camera.sendReports(anchor.ms), REPORT_INTERVAL_MS);
      server.on('connection', (socket) => camera.accept(socket));
      tracks.forEach((track, index) => {
        track.rtp.on('message', (packet) => camera.forwardRtp(index, packet));
        track.rtcp.on('message', (packet) => camera.forwardRtcp(index, withCname(packet)));
      });
      return camera;
    } catch (error) {
      ffmpeg.kill('SIGKILL');
      if (ffmpeg.exitCode === null && ffmpeg.signalCode === null) await once(ffmpeg, 'exit');
      for (const track of tracks) {
        track.rtp.close();
        track.rtcp.close();
      }
      server.close();
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /**
   * The camera's encoder restarts at another resolution, as a camera does when its settings change:
   * the RTSP session goes on (same SSRC, continuous sequence numbers and timestamps), the new SPS/PPS
   * come in band (the SDP the client has describes the old stream).
   */
  async changeResolution(width: number, height: number): Promise<void> {
    await stopProcess(this.ffmpeg);
    this.generation++;
    const { ffmpeg } = spawnEncoder(
      this.tracks,
      { ...this.options, width, height, fps: this.options.fps ?? 10 },
      join(this.dir, `stream-${this.generation}.sdp`),
      false,
    );
    this.ffmpeg = ffmpeg;
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  /** Closes every client's RTSP connection, as a camera that reboots does; new connections are served. */
  dropClients(): void {
    for (const socket of this.sessions) socket.destroy();
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
    if (this.reportTimer) clearInterval(this.reportTimer);
    for (const socket of this.sessions) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await stopProcess(this.ffmpeg);
    for (const track of this.tracks) {
      track.rtp.close();
      track.rtcp.close();
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** RTP of track `index`, rewritten so that encoder restarts do not show in SSRC, sequence or time. */
  private forwardRtp(index: number, packet: Buffer): void {
    if (packet.length < 12) return;
    const track = this.tracks[index]!;
    const timestamp = packet.readUInt32BE(4);
    if (track.ssrc === null) {
      track.ssrc = packet.readUInt32BE(8);
      track.nextSeq = packet.readUInt16BE(2);
    }
    if (track.generation !== this.generation) {
      track.generation = this.generation;
      track.offset = (track.lastTimestamp + track.step - timestamp) >>> 0;
    }
    const out = Buffer.from(packet);
    out.writeUInt16BE(track.nextSeq, 2);
    track.nextSeq = (track.nextSeq + 1) & 0xffff;
    track.lastTimestamp = (timestamp + track.offset) >>> 0;
    out.writeUInt32BE(track.lastTimestamp, 4);
    out.writeUInt32BE(track.ssrc, 8);
    const sent = this.forward(index * 2, out);
    if (index === 0 && sent) this.countUnit(out);
  }

  private countUnit(rtp: Buffer): void {
    const extension = (rtp[0]! & 0x10) !== 0;
    let offset = 12 + 4 * (rtp[0]! & 0x0f);
    if (extension && rtp.length >= offset + 4) offset += 4 + 4 * rtp.readUInt16BE(offset + 2);
    const nal = (rtp[offset] ?? 0) & 0x1f;
    const next = (rtp[offset + 1] ?? 0) & 0x1f;
    // IDR or SPS alone, STAP-A starting with an SPS, or the first fragment (FU-A, S bit) of an IDR.
    const keyStart =
      nal === 5 ||
      nal === 7 ||
      (nal === 24 && ((rtp[offset + 3] ?? 0) & 0x1f) === 7) ||
      (nal === 28 && ((rtp[offset + 1] ?? 0) & 0x80) !== 0 && next === 5);
    if (!this.unitOpen && keyStart) this.unitsSinceKeyframe = 0;
    this.unitOpen = true;
    if ((rtp[1]! & 0x80) !== 0) {
      this.unitsSinceKeyframe++;
      this.unitOpen = false;
    }
  }

  /**
   * A sender report for every track, as RFC 3550 has a sender send them every few seconds: ffmpeg's
   * RTP muxer sends its video track's report only with its first packet (measured: none in 16 s
   * after), which a client that relates the tracks only from reports that follow its first packet
   * (GStreamer's rtpbin) never sees. Each is the track's last report moved to now, on the encoder's
   * own clock (first encoder only, as its reports are).
   */
  private sendReports(anchorMs: number | null): void {
    if (anchorMs === null || this.generation !== 0) return;
    this.tracks.forEach((track, index) => {
      if (!track.lastReport || track.rtpBase === null) return;
      const report = Buffer.from(track.lastReport);
      const ticks = Math.round(((Date.now() - anchorMs) * track.clockRate) / 1000);
      report.writeUInt32BE((track.rtpBase + ticks) >>> 0, 16);
      sampledReport(report, track, anchorMs);
      this.forward(index * 2 + 1, report);
    });
  }

  /** RTCP (sender reports) only from the first encoder: later ones describe another SSRC and clock. */
  private forwardRtcp(index: number, packet: Buffer): void {
    if (this.generation !== 0) return;
    this.forward(index * 2 + 1, packet);
    for (const [socket, missing] of this.awaitingReports) {
      missing.delete(index);
      if (missing.size === 0) this.awaitingReports.delete(socket);
    }
  }

  /** Whether the packet went to at least one client. */
  private forward(channel: number, packet: Buffer): boolean {
    if (this.playing.size === 0 || this.paused) return false;
    let sent = false;
    const header = Buffer.from([0x24, channel, packet.length >> 8, packet.length & 0xff]);
    const rtp = channel % 2 === 0;
    for (const socket of this.playing) {
      if (rtp && this.awaitingReports.has(socket)) continue;
      if (socket.writableLength > 1024 * 1024) continue; // a stalled client loses packets, as with UDP
      socket.write(header);
      socket.write(packet);
      sent = true;
    }
    return sent;
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
      this.awaitingReports.delete(socket);
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
        this.unauthorized++;
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
        const track = Number(/trackID=(\d+)/.exec(url)?.[1] ?? 0);
        reply('200 OK', {
          Transport: `RTP/AVP/TCP;unicast;interleaved=${track * 2}-${track * 2 + 1}`,
          Session: `${session};timeout=60`,
        });
        return;
      }
      case 'PLAY':
        this.plays++;
        reply('200 OK', { Session: session, Range: 'npt=0.000-' });
        this.playing.add(socket);
        // As camera servers do (live555 among them), a sender report per track at once, before the
        // media: the client can put audio and video on one timeline from the first packet (RFC 3550
        // §6.4.1). The mapping stays valid while the first encoder runs (its clocks are linear).
        if (this.generation === 0) {
          const missing = new Set<number>();
          this.tracks.forEach((track, index) => {
            if (track.lastReport) this.forward(index * 2 + 1, track.lastReport);
            else missing.add(index);
          });
          if (missing.size > 0) this.awaitingReports.set(socket, missing);
        }
        return;
      case 'TEARDOWN':
        this.playing.delete(socket);
        this.awaitingReports.delete(socket);
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

/**
 * The camera's encoder: a test pattern (and a tone) through libx264 (and AAC or PCMU) to RTP on the
 * tracks' ports. The first one keeps SPS/PPS out of band (only in the SDP, as many cameras do); a
 * restarted one sends them in band, since the client's SDP no longer describes the stream.
 */
function spawnEncoder(
  tracks: readonly Track[],
  options: RtspTestCameraOptions & { width: number; height: number; fps: number },
  sdpPath: string,
  first: boolean,
): { ffmpeg: ChildProcess; stderr: () => string } {
  const { width, height, fps } = options;
  const flash = options.pattern === 'flash-beep';
  const rate = options.audio === 'pcmu' ? 8000 : 48000;
  const target = (track: Track) =>
    `rtp://127.0.0.1:${track.rtp.address().port}?rtcpport=${track.rtcp.address().port}&pkt_size=1200`;
  // biome-ignore format: one option per line pair reads best
  const args = [
    '-hide_banner', '-loglevel', 'error', '-nostdin',
    // -t: bounded even if the test process dies without stopping it (nothing else would end it).
    '-re', '-f', 'lavfi', '-t', '300', '-i', flash ? flashVideoSource(width, height, fps) : `testsrc=size=${width}x${height}:rate=${fps}`,
    ...(options.audio
      ? ['-re', '-f', 'lavfi', '-t', '300', '-i', flash ? beepAudioSource(rate) : `sine=frequency=440:sample_rate=${rate}`]
      : []),
    '-map', '0:v',
    ...(options.videoCodec === 'h265'
      ? ['-c:v', 'libx265', '-x265-params', `log-level=error:pools=1:frame-threads=1${first ? '' : ':repeat-headers=1'}`]
      : ['-c:v', 'libx264', '-threads', '1', ...(first ? [] : ['-x264-params', 'repeat-headers=1'])]),
    '-preset', 'ultrafast', '-tune', 'zerolatency',
    '-g', String(fps), '-pix_fmt', 'yuv420p',
    ...(first ? ['-flags:v', '+global_header'] : []),
    '-f', 'rtp', '-sdp_file', sdpPath, target(tracks[0]!),
  ];
  if (options.audio === 'aac')
    args.push(
      '-map',
      '1:a',
      '-c:a',
      'aac',
      '-b:a',
      '64k',
      '-flags:a',
      '+global_header',
      '-f',
      'rtp',
      target(tracks[1]!),
    );
  else if (options.audio === 'opus')
    args.push('-map', '1:a', '-c:a', 'libopus', '-b:a', '32k', '-f', 'rtp', target(tracks[1]!));
  else if (options.audio === 'pcmu')
    args.push('-map', '1:a', '-c:a', 'pcm_mulaw', '-ar', '8000', '-ac', '1', '-f', 'rtp', target(tracks[1]!));
  const ffmpeg = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  ffmpeg.stderr?.setEncoding('utf8');
  ffmpeg.stderr?.on('data', (text: string) => {
    stderr = (stderr + text).slice(-4000);
  });
  return { ffmpeg, stderr: () => stderr };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const kill = setTimeout(() => child.kill('SIGKILL'), 2000);
  await once(child, 'exit');
  clearTimeout(kill);
}

/** ffmpeg's SDP, made into a DESCRIBE answer: no fixed address or port, control URLs added. */
async function waitForSdp(
  path: string,
  ffmpeg: ChildProcess,
  stderr: () => string,
  tracks: number,
): Promise<string> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (ffmpeg.exitCode !== null) throw new Error(`test camera ffmpeg exited early: ${stderr()}`);
    let text = '';
    try {
      text = readFileSync(path, 'utf8');
    } catch {}
    if ((text.match(/^m=/gm) ?? []).length >= tracks && /^a=rtpmap/m.test(text)) {
      const lines: string[] = [];
      let track = 0;
      for (const line of text.split(/\r?\n/)) {
        if (!line || line.startsWith('SDP:')) continue;
        if (line.startsWith('c=')) lines.push('c=IN IP4 0.0.0.0');
        else if (/^m=(video|audio) /.test(line))
          lines.push(line.replace(/^m=(video|audio) \d+/, 'm=$1 0'), `a=control:trackID=${track++}`);
        else lines.push(line);
        if (line.startsWith('t=')) lines.push('a=control:*');
      }
      return `${lines.join('\r\n')}\r\n`;
    }
    await sleep(20);
  }
  throw new Error(`test camera ffmpeg wrote no SDP within 60 s: ${stderr()}`);
}
