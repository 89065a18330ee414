"""``deepdream serve``: the web app on waitress, a production WSGI server (pure Python, nothing to install);
``deepdream worker``: a dreamer on another machine, sharing the queue through Redis.

    deepdream serve                 # http://127.0.0.1:5000, this machine only
    curl -X POST http://localhost:5000/deepdream -F "image=@your_image.jpg" --output deepdream_result.jpg

    deepdream serve --host 0.0.0.0 --token SECRET --broker redis://HOST:6379/0 --workers 0   # the web machine
    deepdream worker --broker redis://HOST:6379/0                                             # each dreaming one
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from deepdream import recipe, runtime
from deepdream.i18n import gettext as _
from deepdream.web import guard, history
from deepdream.web.app import create_app
from deepdream.web.engine import Worker
from deepdream.web.settings import Settings, options
from deepdream.web.store import Store

DEFAULTS = Settings()  # the serve options' defaults are the settings' own, written once (deepdream.web.settings)


def build_parser() -> argparse.ArgumentParser:
    parser = runtime.OneLineParser(prog="deepdream serve",
                                description=_("Serve the DeepDream web app and HTTP API with waitress."))
    parser.add_argument("--host", default="127.0.0.1", help=_("address to listen on (default: 127.0.0.1, this "
                                                               "machine only; 0.0.0.0 shares it with your network)"))
    shared = parser.add_mutually_exclusive_group()
    shared.add_argument("--token", help=_("a secret every request must carry (the page asks for it once; scripts "
                                          "send 'Authorization: Bearer TOKEN'); needed, or --no-token, with a "
                                          "--host other than this machine"))
    shared.add_argument("--no-token", action="store_true",
                        help=_("share the server on the network without a token"))
    parser.add_argument("--port", type=int, default=5000, help=_("port (default: 5000; 0 picks a free one)"))
    parser.add_argument("--broker", metavar="URL", help=_(
        "a Redis URL (redis://HOST:6379/0): the queue is shared with `deepdream worker` processes on other "
        "machines (default: SQLite in --data-dir)"))
    for field, flag in options():  # the limits' and queue's options, from the one table
        default = field.default
        parser.add_argument(flag, dest=field.name, type=field.metadata["kind"], default=default,
                            help=_("{help} (default: {default:g})").format(
                                help=_(field.metadata["help"]), default=default))
    parser.add_argument("--data-dir", type=Path, default=history.default_data_dir(),
                        help=_("where each browser's finished dreams are kept, indexed in SQLite; they survive a "
                               "restart (default: {folder})").format(folder=history.default_data_dir()))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs the server until Ctrl-C; returns the exit status."""
    import waitress

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.workers < (0 if args.broker else 1):
        parser.error(_("--workers must be at least 1 (0 only with --broker, where `deepdream worker` dreams)"))
    if args.host not in guard.LOOPBACK and not (args.token or args.no_token):
        parser.error(_("--host {host} shares the studio with your network, where anyone could use it: add "
                       "--token SECRET (students type it once in the page) or --no-token to share it open").format(
                           host=args.host))
    if args.token is not None and len(args.token) < 8:
        parser.error(_("--token must be at least 8 characters: something a neighbour cannot guess"))
    if not 0 <= args.port <= 65535:
        parser.error(_("--port must be from 0 to 65535 (0 picks a free one)"))
    try:
        settings = Settings(**{field.name: getattr(args, field.name) for field, _flag in options()},
                            data_dir=args.data_dir, token=args.token, broker=args.broker,
                            network=args.host not in guard.LOOPBACK)
    except ValueError as error:
        parser.error(str(error))
    try:
        app = create_app(settings)
    except ValueError as error:  # the data folder cannot be written, the broker cannot be reached
        print(f"deepdream serve: error: {error}", file=sys.stderr)
        return 1
    try:
        server = waitress.create_server(
            app, host=args.host, port=args.port, threads=settings.queue + settings.workers + 4, ident="deepdream",
            max_request_body_size=int(settings.max_upload_mb * 2 * 1024 * 1024))
    except OSError as error:
        print("deepdream serve: error: " + _("cannot listen on {host}:{port} ({why}); is another server there? "
                                             "Try --port 5001.").format(
            host=args.host, port=args.port, why=error.strerror or error), file=sys.stderr)
        app.extensions["deepdream"].close()
        return 1
    listening = getattr(server, "effective_listen", None) or [(server.effective_host, server.effective_port)]
    for host, port in listening:  # English in every language: the line scripts (and the tests) wait for
        print(f"DeepDream web app on http://{f'[{host}]' if ':' in host else host}:{port}/  (Ctrl-C stops it)",
              flush=True)
    if args.token:
        print(_("Shared with a token: the page asks for it once; scripts send 'Authorization: Bearer TOKEN'."),
              flush=True)
    with runtime.sigterm_as_interrupt():
        try:
            server.run()  # returns on Ctrl-C or SIGTERM (waitress catches the KeyboardInterrupt)
        except KeyboardInterrupt:
            pass
        finally:
            server.close()
            app.extensions["deepdream"].close()
    print("deepdream serve: " + _("stopped; the finished dreams are kept in {folder}; the queued and running ones "
                                  "are kept in {queue} and run when it starts again.").format(
        folder=args.data_dir, queue=args.broker or _("its queue")), file=sys.stderr)
    return 0


def build_worker_parser() -> argparse.ArgumentParser:
    parser = runtime.OneLineParser(prog="deepdream worker", description=_(
        "Dream the jobs of a `deepdream serve --broker URL` on this machine: start one on each machine that should "
        "dream."))
    parser.add_argument("--broker", required=True, metavar="URL",
                        help=_("the Redis URL the server was given (redis://HOST:6379/0)"))
    parser.add_argument("--threads", type=int, default=1, help=_(
        "dreams run at once here (default: 1; on a CPU, one dream already uses every core)"))
    parser.add_argument("--preview-side", type=int, default=DEFAULTS.preview_side,
                        help=_("the live preview's longest side (default: {side})").format(side=DEFAULTS.preview_side))
    return parser


def worker_main(argv: list[str] | None = None) -> int:
    """``deepdream worker``: dreams from the broker until Ctrl-C or SIGTERM; returns the exit status."""
    parser = build_worker_parser()
    args = parser.parse_args(argv)
    if args.threads < 1 or args.preview_side < 16:
        parser.error(_("--threads must be at least 1, --preview-side at least 16"))
    try:
        store = Store.open(broker=args.broker)
    except ValueError as error:
        print(f"deepdream worker: error: {error}", file=sys.stderr)
        return 1
    from deepdream.model import dream_model

    stop = threading.Event()

    def model_for(parameters: dict) -> object:

        return dream_model(**recipe.model_arguments(parameters))  # deepdream.model keeps the models built

    workers = [Worker(store, model_for, stop, args.preview_side) for _number in range(args.threads)]
    threads = [threading.Thread(target=worker.run, name=f"dreamer-{i}") for i, worker in enumerate(workers)]
    for thread in threads:
        thread.start()
    # English in every language: the line scripts (and the tests) wait for, its third word the worker's name
    print(f"DeepDream worker {workers[0].name} on {args.broker}, {args.threads} at once (Ctrl-C stops it)", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        stop.set()
    for thread in threads:
        thread.join()
    print("deepdream worker: " + _("stopped; a dream it had begun is dreamed again by another worker."),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
