"""``deepdream serve``: the web app on waitress, a production WSGI server (pure Python, nothing to install).

    deepdream serve                 # http://127.0.0.1:5000, this machine only
    curl -X POST http://localhost:5000/deepdream -F "image=@your_image.jpg" --output deepdream_result.jpg
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from deepdream import runtime
from deepdream.web import guard, history
from deepdream.web.app import create_app
from deepdream.web.settings import Settings


def build_parser() -> argparse.ArgumentParser:
    parser = runtime.OneLineParser(prog="deepdream serve",
                                description="Serve the DeepDream web app and HTTP API with waitress.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this "
                        "machine only; 0.0.0.0 shares it with your network)")
    shared = parser.add_mutually_exclusive_group()
    shared.add_argument("--token", help="a secret every request must carry (the page asks for it once; scripts "
                        "send 'Authorization: Bearer TOKEN'); needed, or --no-token, with a --host other than "
                        "this machine")
    shared.add_argument("--no-token", action="store_true", help="share the server on the network without a token")
    parser.add_argument("--port", type=int, default=5000, help="port (default: 5000; 0 picks a free one)")
    parser.add_argument("--workers", type=int, default=1, help="dreams run at once (default: 1)")
    parser.add_argument("--queue", type=int, default=8, help="dreams that may wait (default: 8)")
    parser.add_argument("--per-client", type=int, default=3,
                        help="dreams one browser (or one machine without cookies) may have waiting (default: 3)")
    parser.add_argument("--max-upload-mb", type=float, default=20.0, help="upload limit (default: 20)")
    parser.add_argument("--max-side", type=int, default=1024, help="longest side dreamed (default: 1024)")
    parser.add_argument("--max-video-frames", type=int, default=240,
                        help="the longest clip a video job takes, in frames (default: 240)")
    parser.add_argument("--max-video-side", type=int, default=480,
                        help="a clip's frames are shrunk to this longest side (default: 480)")
    parser.add_argument("--channel-steps", type=int, default=16,
                        help="steps of each thumbnail in the page's channel strip (default: 16)")
    parser.add_argument("--keep-jobs", type=int, default=32, help="finished jobs kept in memory (default: 32)")
    parser.add_argument("--wait", type=float, default=600.0,
                        help="seconds POST /deepdream waits for its dream (default: 600)")
    parser.add_argument("--data-dir", type=Path, default=history.default_data_dir(),
                        help="where each browser's finished dreams are kept, indexed in SQLite; they survive a "
                             f"restart (default: {history.default_data_dir()})")
    parser.add_argument("--keep-mb", type=float, default=500.0,
                        help="the history's size in megabytes; the oldest dreams go first (default: 500)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs the server until Ctrl-C; returns the exit status."""
    import waitress

    parser = build_parser()
    args = parser.parse_args(argv)
    for name in ("workers", "queue", "per_client", "max_side", "keep_jobs", "max_video_frames", "max_video_side",
                 "channel_steps"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.host not in guard.LOOPBACK and not (args.token or args.no_token):
        parser.error(f"--host {args.host} shares the studio with your network, where anyone could use it: add "
                     "--token SECRET (students type it once in the page) or --no-token to share it open")
    if args.token is not None and len(args.token) < 8:
        parser.error("--token must be at least 8 characters: something a neighbour cannot guess")
    if args.max_upload_mb <= 0 or args.wait <= 0 or args.keep_mb <= 0 or not 0 <= args.port <= 65535:
        parser.error("--max-upload-mb, --wait and --keep-mb must be positive, --port from 0 to 65535")
    settings = Settings(workers=args.workers, queue=args.queue, max_upload_mb=args.max_upload_mb,
                        max_side=args.max_side, keep_jobs=args.keep_jobs, wait_seconds=args.wait,
                        data_dir=args.data_dir, keep_mb=args.keep_mb, max_video_frames=args.max_video_frames,
                        max_video_side=args.max_video_side, channel_steps=args.channel_steps, token=args.token,
                        per_client=args.per_client)
    try:
        app = create_app(settings)
    except ValueError as error:  # the data folder cannot be written
        print(f"deepdream serve: error: {error}", file=sys.stderr)
        return 1
    try:
        server = waitress.create_server(
            app, host=args.host, port=args.port, threads=settings.queue + settings.workers + 4, ident="deepdream",
            max_request_body_size=int(settings.max_upload_mb * 2 * 1024 * 1024))
    except OSError as error:
        print(f"deepdream serve: error: cannot listen on {args.host}:{args.port} ({error.strerror or error}); "
              "is another server there? Try --port 5001.", file=sys.stderr)
        app.extensions["deepdream"].close()
        return 1
    listening = getattr(server, "effective_listen", None) or [(server.effective_host, server.effective_port)]
    for host, port in listening:
        print(f"DeepDream web app on http://{f'[{host}]' if ':' in host else host}:{port}/  (Ctrl-C stops it)",
              flush=True)
    if args.token:
        print("Shared with a token: the page asks for it once; scripts send 'Authorization: Bearer TOKEN'.",
              flush=True)
    with runtime.sigterm_as_interrupt():
        try:
            server.run()  # returns on Ctrl-C or SIGTERM (waitress catches the KeyboardInterrupt)
        except KeyboardInterrupt:
            pass
        finally:
            server.close()
            app.extensions["deepdream"].close()
    print(f"deepdream serve: stopped; the finished dreams are kept in {args.data_dir}, the queued ones are gone.",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
