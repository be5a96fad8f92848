#!/usr/bin/python3
"""A stand-in IP camera for `npm run bench:media`: GStreamer's own RTSP server (gst-rtsp-server,
Debian's gir1.2-gst-rtsp-server-1.0) serving H.264 video and an AAC tone on
rtsp://127.0.0.1:<port>/cam, loopback only, for at most --max-seconds.

The picture carries a machine-readable clock: a row of 40 black/white blocks (44×16 px) across the top holding
the wall-clock time (Unix ms, low 32 bits) at which the frame was drawn, then 8 check bits (the XOR
of its four bytes with 0xA5), most significant bit first, white = 1. A human-readable clock is drawn
below it. Every --motion-every seconds a large bright square crosses the picture for
--motion-seconds, so that the agent records motion events.

The stream is shared: every RTSP client receives the same encoder output. Byte counters on the
encoders' outputs answer a line "count" on stdin with one JSON line on stdout; the first stdout line
is {"url": ...} once the server listens. The server exits at --max-seconds, or when stdin closes.
"""

import argparse
import collections
import json
import math
import os
import sys
import time

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstRtspServer', '1.0')
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

CLOCK_BITS = 40
# Wide, low blocks: readable after JPEG and H.264, yet a small share of the picture (the agent's motion
# detector must not see the ticking clock as motion).
BLOCK_W = 44
BLOCK_H = 16
CLOCK_X = 16
CLOCK_Y = 8

counters = {
    'videoBytes': 0,
    'videoFrames': 0,
    'keyframes': 0,
    'audioBytes': 0,
    'clients': 0,
    # The camera's own delay, clock drawn -> encoded frame out, summed over the frames (matched in order).
    'encodeLagMsSum': 0.0,
    'encodeLagFrames': 0,
}
# Draw times of the frames the encoder has not emitted yet, in order: without B-frames the encoder
# emits frames in the order they were drawn (x264enc shifts their PTS, so PTS cannot match them).
drawn_at = collections.deque(maxlen=300)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--port', type=int, default=0, help='RTSP port on 127.0.0.1 (0: a free one)')
    parser.add_argument('--width', type=int, default=1920)
    parser.add_argument('--height', type=int, default=1080)
    parser.add_argument('--fps', type=int, default=15)
    parser.add_argument('--kbps', type=int, default=3000, help='H.264 bitrate, kbit/s')
    parser.add_argument('--keyframe-seconds', type=float, default=2.0)
    parser.add_argument('--motion-every', type=float, default=20.0, help='seconds between motion bursts (0: never)')
    parser.add_argument('--motion-seconds', type=float, default=3.0)
    parser.add_argument('--max-seconds', type=float, default=900.0, help='the server exits after this long')
    return parser.parse_args()


def clock_bits(ms):
    value = ms & 0xFFFFFFFF
    check = ((value >> 24) ^ (value >> 16) ^ (value >> 8) ^ value ^ 0xA5) & 0xFF
    word = (value << 8) | check
    return [(word >> (CLOCK_BITS - 1 - i)) & 1 for i in range(CLOCK_BITS)]


def make_draw(args, started):
    def draw(_overlay, context, _timestamp, _duration):
        now = time.time()
        ms = int(now * 1000)
        drawn_at.append(ms)
        # A grey band behind the clock so that the blocks never blend with the test pattern.
        context.set_source_rgb(0.5, 0.5, 0.5)
        context.rectangle(0, 0, CLOCK_X * 2 + CLOCK_BITS * BLOCK_W, CLOCK_Y * 2 + BLOCK_H + 28)
        context.fill()
        for index, bit in enumerate(clock_bits(ms)):
            shade = 1.0 if bit else 0.0
            context.set_source_rgb(shade, shade, shade)
            context.rectangle(CLOCK_X + index * BLOCK_W, CLOCK_Y, BLOCK_W, BLOCK_H)
            context.fill()
        context.set_source_rgb(1, 1, 1)
        context.select_font_face('monospace')
        context.set_font_size(22)
        context.move_to(CLOCK_X, CLOCK_Y + BLOCK_H + 24)
        context.show_text(time.strftime('%H:%M:%S', time.gmtime(now)) + '.%03d UTC' % (ms % 1000))
        if args.motion_every > 0:
            phase = (now - started) % args.motion_every
            if phase < args.motion_seconds:
                progress = phase / args.motion_seconds
                side = args.height // 3
                x = int(progress * (args.width - side))
                y = int(args.height / 2 - side / 2 + math.sin(progress * math.pi * 2) * args.height / 6)
                context.set_source_rgb(0.95, 0.9, 0.2)
                context.rectangle(x, y, side, side)
                context.fill()

    return draw


def launch_line(args):
    caps = 'video/x-raw,format=BGRx,width=%d,height=%d,framerate=%d/1' % (args.width, args.height, args.fps)
    keyint = max(1, int(round(args.fps * args.keyframe_seconds)))
    # A static test pattern compresses to almost nothing; faint live noise over it (as a real sensor
    # has) makes the encoder spend its bitrate, as a camera does.
    return (
        '( compositor name=mix sink_1::alpha=0.07 ! videoconvert ! %s ! cairooverlay name=overlay'
        ' ! videoconvert ! x264enc name=venc tune=zerolatency speed-preset=ultrafast bitrate=%d'
        ' key-int-max=%d bframes=0 ! h264parse config-interval=-1'
        ' ! video/x-h264,stream-format=byte-stream,alignment=au'
        ' ! rtph264pay name=pay0 pt=96'
        ' videotestsrc is-live=true pattern=smpte ! %s ! mix.sink_0'
        ' videotestsrc is-live=true pattern=snow ! %s ! mix.sink_1'
        ' audiotestsrc is-live=true wave=sine freq=440 volume=0.2 ! audioconvert ! audioresample'
        ' ! audio/x-raw,rate=48000,channels=1 ! avenc_aac name=aenc bitrate=64000 ! aacparse'
        ' ! rtpmp4gpay name=pay1 pt=97 )'
    ) % (caps, args.kbps, keyint, caps, caps)


def count_video(_pad, info):
    buffer = info.get_buffer()
    counters['videoBytes'] += buffer.get_size()
    counters['videoFrames'] += 1
    if drawn_at:
        drawn = drawn_at.popleft()
        counters['encodeLagMsSum'] += time.time() * 1000 - drawn
        counters['encodeLagFrames'] += 1
    if not buffer.has_flags(Gst.BufferFlags.DELTA_UNIT):
        counters['keyframes'] += 1
    return Gst.PadProbeReturn.OK


def count_audio(_pad, info):
    counters['audioBytes'] += info.get_buffer().get_size()
    return Gst.PadProbeReturn.OK


def main():
    args = parse_args()
    Gst.init(None)
    loop = GLib.MainLoop()
    started = time.time()

    server = GstRtspServer.RTSPServer()
    server.set_address('127.0.0.1')
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch_line(args))
    factory.set_shared(True)

    def configure(_factory, media):
        pipeline = media.get_element()
        pipeline.get_by_name('overlay').connect('draw', make_draw(args, started))
        pipeline.get_by_name('venc').get_static_pad('src').add_probe(Gst.PadProbeType.BUFFER, count_video)
        pipeline.get_by_name('aenc').get_static_pad('src').add_probe(Gst.PadProbeType.BUFFER, count_audio)

    factory.connect('media-configure', configure)
    server.get_mount_points().add_factory('/cam', factory)

    def client_connected(_server, client):
        counters['clients'] += 1
        # A keyframe is a burst of RTP packets larger than the client's send backlog; a camera does
        # not drop parts of it for a slow TCP reader, it holds back (by default this server drops).
        client.set_property('drop-backlog', False)

    server.connect('client-connected', client_connected)
    if server.attach(None) == 0:
        sys.stderr.write('rtsp-camera: could not listen on 127.0.0.1:%d\n' % args.port)
        sys.exit(1)
    print(json.dumps({'url': 'rtsp://127.0.0.1:%d/cam' % server.get_bound_port()}), flush=True)

    def on_stdin(_fd, condition):
        if condition & (GLib.IO_HUP | GLib.IO_ERR):
            loop.quit()
            return False
        line = sys.stdin.readline()
        if line == '':
            loop.quit()
            return False
        if line.strip() == 'count':
            print(json.dumps(dict(counters, atMs=int(time.time() * 1000))), flush=True)
        return True

    GLib.io_add_watch(sys.stdin.fileno(), GLib.IO_IN | GLib.IO_HUP | GLib.IO_ERR, on_stdin)
    GLib.timeout_add(int(args.max_seconds * 1000), lambda: loop.quit() or False)
    try:
        loop.run()
    except KeyboardInterrupt:
        pass
    # The pipelines' threads need not be joined: the process ends here.
    os._exit(0)


if __name__ == '__main__':
    main()
