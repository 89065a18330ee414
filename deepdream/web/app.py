"""The web app: ``create_app`` (Flask), the app factory that puts the blueprints together.

Blueprints, each in its own module:
    ``studio``   GET /, /guide/atlas.jpg, /api/recipe, /api/layers: the page and what it reads first
    ``api``      POST /deepdream, /api/jobs…, /api/channels/…: the dreams (``deepdream.web.api``)
    ``history``  /api/history…: each browser's kept dreams (``deepdream.web.history``)
    ``live``     GET /live, /api/live/…, /live.mjpg: the live camera (``deepdream.web.live``)
and ``POST /api/token`` (``deepdream.web.guard``). Each browser has a signed anonymous id in a cookie
(``deepdream.web.clients``); the history it sees is its own. Every refusal and every error is JSON with
a message, never a traceback. Nothing here imports TensorFlow: the page and its layers load at once.
"""

from __future__ import annotations

import sys
import traceback

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from deepdream.i18n import gettext as _
from deepdream.web import api, clients, guard, history, live, locales, studio
from deepdream.web.jobs import DreamService
from deepdream.web.settings import Refusal, Settings


def create_app(settings: Settings | None = None) -> Flask:
    """The Flask app; its service (queue and workers) is ``app.extensions["deepdream"]``."""
    settings = settings or Settings()
    app = Flask(__name__, static_folder=str(locales.STATIC_DIR), static_url_path="/static",
                template_folder=str(locales.TEMPLATES_DIR))
    app.config["MAX_CONTENT_LENGTH"] = int(settings.max_upload_mb * 1024 * 1024)
    app.url_map.merge_slashes = False  # /api/jobs//result is a 404 with a message, not a redirect
    service = app.extensions["deepdream"] = DreamService(settings)
    app.extensions["deepdream_live"] = live.LiveSessions(settings.live_sessions, turns=service.turns,
                                                          stream_viewers=settings.stream_viewers)
    # The browser's signed anonymous id (g.client) and its turn in the fair queue (g.turn).
    app.extensions["deepdream_clients"] = clients.install(app, settings.data_dir, settings.network, settings.proxies)
    locales.install(app)  # each request's language (first: a refusal below is in it too)
    guard.install(app, settings.token)  # the origin check, and the token if there is one
    for blueprint in (studio.blueprint, api.blueprint, history.blueprint, live.blueprint):
        app.register_blueprint(blueprint)
    error = guard.error_response

    @app.errorhandler(Refusal)
    def refused(refusal: Refusal) -> Response:
        return error(str(refusal), refusal.status, refusal.headers)

    @app.errorhandler(HTTPException)
    def http_error(exception: HTTPException) -> Response:
        if exception.code == 413:
            return error(_("The upload is larger than the {limit:g} MB limit: send a smaller file (a JPEG of the "
                           "photo, say).").format(limit=settings.max_upload_mb), 413)
        if exception.code == 404:
            return error(_("No such page: {path}. The page is /, the API under /api/ (see GET /api/layers).").format(
                path=request.path), 404)
        return error(f"{exception.name}: {exception.description}", exception.code or 400)  # werkzeug's words

    @app.errorhandler(Exception)
    def defect(exception: Exception) -> Response:  # never a traceback to the client
        traceback.print_exc(file=sys.stderr)
        return error(_("The server failed on this request; its log has the details."), 500)

    return app
