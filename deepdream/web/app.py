"""The web app: ``create_app`` (Flask), its routes, and reading a dream request.

Routes:
    GET    /                        the page (static/index.html, app.js, style.css: served here, no CDN)
    POST   /deepdream               the documented route: waits its turn in the queue, answers image/jpeg
    POST   /api/jobs                202 and the job's id and URLs
    GET    /api/jobs/<id>           state, queue position, steps done of total, seconds left, error
    GET    /api/jobs/<id>/preview   a small JPEG of the picture as it is now (the result once done)
    GET    /api/jobs/<id>/result    the JPEG (a zoom's WebP or MP4, a clip's MP4), once done
    GET    /api/jobs/<id>/picture   the JPEG of its last frame, for a zoom or a clip
    GET    /api/jobs/<id>/sidecar   the JSON sidecar the command line writes
    DELETE /api/jobs/<id>           cancel (a running dream stops at its next step)
    GET    /api/history             this browser's kept dreams, newest first (with --data-dir)
    GET    /api/history/<id>/<file> picture, sidecar, thumbnail or mask of one of them
    DELETE /api/history/<id>        forget one
    GET    /api/channels/<layer>    what each channel of a layer dreams: progress, then the sheet's layout
    GET    /api/channels/<layer>/sprite.jpg  the sheet of thumbnails (partial while they are dreamed)
    POST   /api/token               the page sends the token the student typed (with --token); a cookie keeps it
    GET    /live, POST /api/live/…  the live camera page and its frames (``deepdream.web.live``)
    GET    /api/recipe              the form's fields (defaults, limits, help) and each backbone's layers
    GET    /api/layers              the layers a dream can use, the form's defaults and limits

Both dream routes take a multipart form (``deepdream.web.forms``): a start (an ``image`` file,
``noise=WxH``, or ``from_dream=ID``), the recipe's fields, and an optional ``mask`` file; ``make=zoom``
or ``make=video`` (with a ``video`` file) makes a moving picture instead. Each browser
has an anonymous random id in a cookie; the history it sees is its own. Nothing here imports
TensorFlow: the page and its layers load at once.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, jsonify, request, send_file, send_from_directory
from werkzeug.exceptions import HTTPException

from deepdream import backbones, recipe
from deepdream.paths import PACKAGE_DIR, REPO_ROOT
from deepdream.web import clients, guard, live, movies
from deepdream.web.forms import FORM_DEFAULTS, FORM_LIMITS, read_dream_request
from deepdream.web.jobs import DreamService, Job
from deepdream.web.settings import Refusal, Settings

STATIC_DIR = PACKAGE_DIR / "web" / "static"
ATLAS = REPO_ROOT / "outputs" / "06_atlas_noise.jpg"  # the layer guide the page shows (notebook 06)
HISTORY_FILES = {"picture": "image/jpeg", "sidecar": "application/json", "thumbnail": "image/jpeg",
                 "mask": "application/octet-stream", **movies.FORMATS}  # and a zoom's or a clip's file


def create_app(settings: Settings | None = None) -> Flask:
    """The Flask app; its service (queue and workers) is ``app.extensions["deepdream"]``."""
    settings = settings or Settings()
    app = Flask(__name__, static_folder=str(STATIC_DIR), static_url_path="/static")
    app.config["MAX_CONTENT_LENGTH"] = int(settings.max_upload_mb * 1024 * 1024)
    app.url_map.merge_slashes = False  # /api/jobs//result is a 404 with a message, not a redirect
    service = DreamService(settings)
    app.extensions["deepdream"] = service
    app.extensions["deepdream_live"] = live.LiveSessions(settings.live_sessions)

    error = guard.error_response
    @app.errorhandler(Refusal)
    def refused(refusal: Refusal) -> Response:
        return error(str(refusal), refusal.status, refusal.headers)

    @app.errorhandler(HTTPException)
    def http_error(exception: HTTPException) -> Response:
        if exception.code == 413:
            return error(f"The upload is larger than the {settings.max_upload_mb:g} MB limit: send a smaller "
                         "file (a JPEG of the photo, say).", 413)
        if exception.code == 404:
            return error(f"No such page: {request.path}. The page is /, the API under /api/ "
                         "(see GET /api/layers).", 404)
        return error(f"{exception.name}: {exception.description}", exception.code or 400)

    @app.errorhandler(Exception)
    def defect(exception: Exception) -> Response:  # never a traceback to the client
        traceback.print_exc(file=sys.stderr)
        return error("The server failed on this request; its log has the details.", 500)

    # The browser's signed anonymous id (g.client) and its turn in the fair queue (g.turn): deepdream.web.clients.
    app.extensions["deepdream_clients"] = clients.install(app, settings.data_dir, settings.network, settings.proxies)
    guard.install(app, settings.token)  # the origin check, and the token if there is one
    app.register_blueprint(live.blueprint)

    @app.get("/")
    def page() -> Response:
        return send_from_directory(STATIC_DIR, "index.html")

    @app.get("/guide/atlas.jpg")
    def atlas() -> Response:
        if not ATLAS.is_file():
            raise Refusal("The layer atlas is not there: run notebook 06 (make dreams).", 404)
        return send_file(ATLAS, mimetype="image/jpeg")

    @app.get("/api/recipe")
    def recipe_fields() -> Response:
        return jsonify(**recipe.fields(settings.max_side), page_fields=list(FORM_DEFAULTS),
                       max_upload_mb=settings.max_upload_mb, movies=movies.page_fields(),
                       max_video_frames=settings.max_video_frames)

    @app.get("/api/layers")
    def layers() -> Response:  # from the backbone's description: no TensorFlow, so at once
        record = backbones.get(backbones.DEFAULT)
        limits = dict(FORM_LIMITS) | {"max_side": (int, 32, settings.max_side)}
        return jsonify(layers=list(record.layers_for(backbones.default_weights(record.name))),
                       suggested=list(record.suggested_layers), defaults=FORM_DEFAULTS,
                       limits={name: [low, high] for name, (_, low, high) in limits.items()},
                       max_upload_mb=settings.max_upload_mb)

    def job_urls(job: Job) -> dict[str, str]:
        base = f"/api/jobs/{job.id}"
        return {"status_url": base, "preview_url": base + "/preview", "result_url": base + "/result",
                "picture_url": base + "/picture", "sidecar_url": base + "/sidecar"}

    @app.post("/api/jobs")
    def submit() -> Response:
        job = service.submit(read_dream_request(request, settings, service.history, g.client), g.client, g.turn)
        response = jsonify(**service.status(job), **job_urls(job))
        response.status_code, response.headers["Location"] = 202, f"/api/jobs/{job.id}"
        return response

    @app.post("/deepdream")
    def deepdream() -> Response:
        job = service.submit(read_dream_request(request, settings, service.history, g.client), g.client, g.turn)
        if not job.ended.wait(settings.wait_seconds):
            service.cancel(job)
            raise Refusal(f"The dream did not finish within {settings.wait_seconds:g} s (the queue was busy, "
                          "or the dream is large): it was cancelled. Try fewer steps or a smaller max_side, "
                          "or use POST /api/jobs, which does not wait.", 503, {"Retry-After": "60"})
        return _result(job, service.result_type(job))

    def _result(job: Job, mimetype: str) -> Response:
        if job.state != "done":
            why = job.error or f"it is {job.state} ({job.done} of {job.total} {job.unit}s done)"
            raise Refusal(f"Job {job.id} has no result: {why}", 409)
        stem = Path(recipe.result_name(job.parameters)).stem
        if mimetype in movies.FORMATS.values() and job.movie is not None:
            response = Response(job.movie[1], mimetype=mimetype)
            response.headers["Content-Disposition"] = f'inline; filename="{_ascii(stem)}.{job.movie[0]}"'
        elif mimetype == "image/jpeg":
            response = Response(job.jpeg, mimetype=mimetype)
            response.headers["Content-Disposition"] = f'inline; filename="{_ascii(stem)}.jpg"'
        else:
            response = jsonify(job.sidecar)
            response.headers["Content-Disposition"] = f'attachment; filename="{_ascii(stem)}.jpg.json"'
        response.headers.update({"X-DeepDream-Job": job.id, **({"X-DeepDream-Note": _ascii(job.note)}
                                                                if job.note else {})})
        return response

    @app.get("/api/channels/<layer>")
    def channel_strip(layer: str) -> Response:  # started on first request, kept on disk
        try:
            strip = service.strips.status(layer)
        except ValueError as error:
            raise Refusal(str(error), 404) from None
        return jsonify(**strip, sprite_url=f"/api/channels/{layer}/sprite.jpg?done={strip['done']}")

    @app.get("/api/channels/<layer>/sprite.jpg")
    def channel_sprite(layer: str) -> Response:
        data = service.strips.sprite(layer)
        if data is None:
            raise Refusal(f"No channels of {layer!r} dreamed yet: GET /api/channels/{layer} starts them.", 404)
        response = Response(data, mimetype="image/jpeg")
        response.headers["Cache-Control"] = "no-cache"
        return response

    @app.get("/api/jobs/<job_id>")
    def status(job_id: str) -> Response:
        job = service.get(job_id)
        return jsonify(**service.status(job), **job_urls(job))

    @app.get("/api/jobs/<job_id>/preview")
    def preview(job_id: str) -> Response:
        response = Response(service.preview(service.get(job_id)), mimetype="image/jpeg")
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.get("/api/jobs/<job_id>/result")
    def result(job_id: str) -> Response:
        job = service.get(job_id)
        return _result(job, service.result_type(job))

    @app.get("/api/jobs/<job_id>/picture")
    def picture(job_id: str) -> Response:
        return _result(service.get(job_id), "image/jpeg")

    @app.get("/api/jobs/<job_id>/sidecar")
    def sidecar(job_id: str) -> Response:
        return _result(service.get(job_id), "application/json")

    @app.delete("/api/jobs/<job_id>")
    def cancel(job_id: str) -> Response:
        job = service.get(job_id)
        state = service.cancel(job)
        return jsonify(id=job.id, state=state), 202 if state == "cancelling" else 200

    def kept() -> Any:
        if service.history is None:
            raise Refusal("This server keeps no history: start it with --data-dir.", 404)
        return service.history

    def history_urls(dream_id: str) -> dict[str, str]:
        return {f"{kind}_url": f"/api/history/{dream_id}/{kind}" for kind in ("picture", "sidecar", "thumbnail")}

    @app.get("/api/history")
    def history() -> Response:  # this client's dreams, newest first
        entries = kept().list(g.client)
        return jsonify(dreams=[entry | history_urls(entry["id"]) | (
            {"mask_url": f"/api/history/{entry['id']}/mask"} if entry["has_mask"] else {}) | (
            {"movie_url": f"/api/history/{entry['id']}/{entry['movie']}"} if entry["movie"] else {})
            for entry in entries])

    @app.get("/api/history/<dream_id>/<kind>")
    def history_file(dream_id: str, kind: str) -> Response:
        if kind not in HISTORY_FILES:
            raise Refusal(f"No such file of a dream: {kind!r}; they are {', '.join(HISTORY_FILES)}.", 404)
        data = kept().read(g.client, dream_id, kind)
        if data is None:
            raise Refusal(f"No dream {dream_id!r} in your history (or its {kind} is gone).", 404)
        response = Response(data, mimetype=HISTORY_FILES[kind])
        if kind != "thumbnail":
            response.headers["Content-Disposition"] = f'inline; filename="{kept().path(dream_id, kind).name}"'
        return response

    @app.delete("/api/history/<dream_id>")
    def forget(dream_id: str) -> Response:
        if not kept().delete(g.client, dream_id):
            raise Refusal(f"No dream {dream_id!r} in your history.", 404)
        return jsonify(id=dream_id, state="deleted")

    return app


def _ascii(text: str) -> str:
    return text.encode("ascii", "replace").decode().replace('"', "'")


