"""``deepdream live SOURCE``: a camera, a video file or a stream dreamed as it comes (``deepdream.live``), the newest
frame only, recorded with ``-o out.mp4`` and shown with ``--serve`` as an MJPEG stream on the web app (``/live.mjpg``).

    deepdream live 0 -o outputs/live.mp4          # the first camera; Ctrl-C stops and closes the recording
    deepdream live clip.mp4 --serve --symmetry 6m # a kaleidoscope on http://127.0.0.1:5000/live.mjpg
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from deepdream import backbones, files, live, recipe, runtime
from deepdream.i18n import N_
from deepdream.i18n import gettext as _
from deepdream.web import guard
from deepdream.web.app import create_app
from deepdream.web.settings import Settings


def build_live_parser() -> argparse.ArgumentParser:
    parser = runtime.OneLineParser(prog="deepdream live", description=_(
        "Dream a camera, a video file or a stream as it comes: the newest frame only, each carrying the last one's "
        "dream along the motion. Ctrl-C stops it (and closes the recording)."))
    parser.add_argument("source", help=_("a camera index (0 is the first), a video file (read at its own pace), or a "
                                         "stream URL OpenCV's ffmpeg reads (rtsp://, http://)"))
    parser.add_argument("-o", "--output", type=Path, help=_(
        "record what is shown into this .mp4, each frame for as long as it was shown (a JSON sidecar beside it has "
        "the settings and timings)"))
    parser.add_argument("--overwrite", action="store_true",
                        help=_("replace an existing output this tool did not write"))
    defaults = live.LiveSettings()
    parser.add_argument("--layer", default=defaults.layer,
                        help=_("the layer dreamed (default: {layer})").format(layer=defaults.layer))
    parser.add_argument("--strength", type=float, default=defaults.strength,
                        help=_("each step's change (default: {strength})").format(strength=defaults.strength))
    parser.add_argument("--steps", type=int, default=defaults.steps,
                        help=_("dream steps a frame, 1 to {most} (default: {steps})").format(
                            most=live.MAX_STEPS, steps=defaults.steps))
    parser.add_argument("--width", type=int, default=defaults.width,
                        help=_("frames are dreamed this wide, {least} to {most} (default: {width})").format(
                            least=live.MIN_WIDTH, most=live.MAX_WIDTH, width=defaults.width))
    parser.add_argument("--symmetry", type=recipe.parse_symmetry, metavar="KIND",
                        help=_("a live kaleidoscope: mirror, N (N-fold rotation) or Nm (both), for example 6m"))
    parser.add_argument("--serve", action="store_true", help=_(
        "also show it on the web app as an MJPEG stream, http://HOST:PORT/live.mjpg (any browser or VLC opens it)"))
    parser.add_argument("--host", default="127.0.0.1",
                        help=_("with --serve: address (default: this machine only)"))
    parser.add_argument("--port", type=int, default=5000, help=_("with --serve: port (default: 5000; 0 picks one)"))
    shared = parser.add_mutually_exclusive_group()
    shared.add_argument("--token", help=_("with --serve on the network: a secret every request must carry"))
    shared.add_argument("--no-token", action="store_true", help=_("with --serve: share it on the network open"))
    parser.add_argument("-q", "--quiet", action="store_true", help=_("no status line"))
    return parser


def _live_settings(args: argparse.Namespace, parser: argparse.ArgumentParser) -> live.LiveSettings:
    record = backbones.get(backbones.DEFAULT)
    layers = record.layers_for(backbones.default_weights(record.name))
    if args.layer not in layers:
        parser.error(_("--layer {layer} is not a layer of {backbone}: try one of {layers}").format(
            layer=args.layer, backbone=record.name, layers=", ".join(record.suggested_layers)))
    folds, mirror = recipe.symmetry_parts(args.symmetry) if args.symmetry else (1, False)
    try:
        return live.LiveSettings(args.layer, args.strength, args.steps, args.width, folds, mirror)
    except ValueError as error:
        parser.error(str(error).replace("steps ", "--steps ").replace("width ", "--width ").rstrip("."))
        raise


def _serve_stream(args: argparse.Namespace, broadcast: live.Broadcast) -> Any:
    import waitress

    app = create_app(Settings(data_dir=None, token=args.token))
    app.extensions["deepdream_live_broadcast"] = broadcast
    server = waitress.create_server(app, host=args.host, port=args.port, threads=16, ident="deepdream")
    threading.Thread(target=server.run, name="live-server", daemon=True).start()
    host, port = server.effective_host, server.effective_port
    print(f"The live dream on http://{host}:{port}/live.mjpg", flush=True)  # English always: scripts wait for it
    return server


def main(argv: list[str] | None = None) -> int:
    """``deepdream live SOURCE``: dreams the source until it ends or Ctrl-C; returns the exit status."""
    parser = build_live_parser()
    args = parser.parse_args(argv)
    settings = _live_settings(args, parser)
    if args.serve and args.host not in guard.LOOPBACK and not (args.token or args.no_token):
        parser.error(_("--host {host} shares the stream (and the studio) with your network: add --token SECRET "
                       "or --no-token").format(host=args.host))
    try:
        output = files.check_output_path(args.output, (".mp4",), args.overwrite) if args.output else None
        if output is not None and Path(args.source).resolve() == output.resolve():
            raise ValueError(_("Refusing to overwrite the input video '{source}': choose another -o.").format(
                source=args.source))
        capture, fps = live.open_source(args.source)
    except (ValueError, OSError) as error:
        print(f"deepdream live: error: {error}", file=sys.stderr)
        return 1
    dreamer, broadcast = live.LiveDreamer(settings), live.Broadcast()
    try:
        server = _serve_stream(args, broadcast) if args.serve else None
    except OSError as error:
        print("deepdream live: error: " + _("cannot listen on {host}:{port} ({why}); try --port 5001.").format(
            host=args.host, port=args.port, why=error.strerror or error), file=sys.stderr)
        capture.release()
        return 1
    width, height = int(capture.get(3)) or 640, int(capture.get(4)) or 480  # CAP_PROP_FRAME_WIDTH, _HEIGHT
    live.LiveDreamer(settings).dream(np.full((height, width, 3), 128, np.uint8))  # builds the network first
    recorder = live.Recorder() if output is not None else None
    source, log, status = live.LatestFrame(capture, fps).start(), [], N_("the source ended")
    with runtime.sigterm_as_interrupt() as stop:
        try:
            last, printed = -1, time.monotonic()
            while True:
                got = source.newest(last, timeout=10.0)
                if got is None:
                    status = N_("the source ended") if source.ended else N_("no frame came for 10 s")
                    break
                last, captured, frame = got
                jpeg = live.encode_jpeg(dreamer.dream(frame))
                shown = time.monotonic()
                if recorder is not None:
                    recorder.add(jpeg, shown)
                broadcast.publish(jpeg)
                log.append([last, round(captured - source.started, 4), round(shown - source.started, 4),
                            round(sum(dreamer.seconds.values()), 4)])
                if not args.quiet and shown - printed >= 1.0:
                    printed = shown
                    print(f"\r{_live_summary(log, source)}", end="", file=sys.stderr, flush=True)
        except KeyboardInterrupt:
            status = N_("stopped")
        finally:
            if recorder is not None and log and status == "the source ended" and fps is not None:
                # A file: its last frame is shown for as long as the file lasted after it (the others until
                # the next frame came), so the recording lasts what the file lasts, give or take the latency.
                recorder.stop(source.started + log[-1][2] + max(0.0, source.captured / fps - log[-1][1]))
            source.close()
            broadcast.end()
            if server is not None:
                server.close()
    if not args.quiet and log:
        print(file=sys.stderr)
    print(f"deepdream live: {_(status)}: {_live_summary(log, source)}", file=sys.stderr)
    if recorder is not None:
        if not log:
            print("deepdream live: " + _("nothing was shown, so nothing was recorded."), file=sys.stderr)
            return 1
        try:
            with files.signals_held():
                recorder.write(output)
                latencies = np.array([row[2] - row[1] for row in log])
                files.save_sidecar({"source": args.source, "output": str(output), **settings.__dict__,
                                    "frames_read": source.captured, "frames_shown": len(log),
                                    "frames_dropped": source.dropped, "seconds_recorded": round(recorder.seconds, 3),
                                    "latency_median": round(float(np.median(latencies)), 4),
                                    "latency_p95": round(float(np.percentile(latencies, 95)), 4),
                                    "frames": {"columns": ["number", "captured", "shown", "dream_seconds"],
                                               "rows": log}},
                                   recipe.sidecar_path(output), overwrite=True)
        except (OSError, ValueError) as error:
            print(f"deepdream live: error: {error}", file=sys.stderr)
            return 1
        print(_("saved {video} ({frames} frames, {seconds:.1f} s) and {sidecar}").format(
            video=output, frames=len(log), seconds=recorder.seconds, sidecar=recipe.sidecar_path(output)))
    return stop.exit_status if status == "stopped" else 0


def _live_summary(log: list[list[float]], source: live.LatestFrame) -> str:
    if not log:
        return _("no frame shown")
    latencies = [row[2] - row[1] for row in log]
    seconds = log[-1][2] - log[0][2]
    rate = (len(log) - 1) / seconds if seconds > 0 else 0.0
    return _("{shown} frames shown, {dropped} dropped, {rate:.1f} a second, latency {latency:.0f} ms "
             "(median)").format(shown=len(log), dropped=source.dropped, rate=rate,
                                latency=1000 * float(np.median(latencies)))


if __name__ == "__main__":
    sys.exit(main())
