"""The web app: ``create_app`` (Flask), its routes, and reading a dream request.

Routes:
    GET    /                        the page (static/index.html, app.js, style.css: served here, no CDN)
    POST   /deepdream               the documented route: waits its turn in the queue, answers image/jpeg
    POST   /api/jobs                202 and the job's id and URLs
    GET    /api/jobs/<id>           state, queue position, steps done of total, seconds left, error
    GET    /api/jobs/<id>/result    the JPEG, once done
    GET    /api/jobs/<id>/sidecar   the JSON sidecar the command line writes
    DELETE /api/jobs/<id>           cancel (a running dream stops at its next step)
    GET    /api/recipe              the form's fields (defaults, limits, help) and each backbone's layers
    GET    /api/layers              the layers a dream can use, the form's defaults and limits

Both dream routes take a multipart ``image`` and the optional fields ``layers`` (``mixed3,mixed5=1.5``),
``steps`` (per octave), ``octaves``, ``step_size``, ``seed`` and ``max_side``: the recipe's fields
that have a ``page`` default. Nothing here imports TensorFlow: the page and its layers load at once.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import math
import sys
import traceback
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, request, send_file, send_from_directory
from werkzeug.exceptions import HTTPException

from deepdream import backbones, recipe
from deepdream.images import decode_image
from deepdream.paths import PACKAGE_DIR, REPO_ROOT
from deepdream.web.jobs import DreamService, Job, Refusal, Settings

STATIC_DIR = PACKAGE_DIR / "web" / "static"
ATLAS = REPO_ROOT / "outputs" / "06_atlas_noise.jpg"  # the layer guide the page shows (notebook 06)
# The page's fields and their defaults (a curl request without max_side gets the server's --max-side).
FORM_DEFAULTS: dict[str, Any] = {field.name: field.page for field in recipe.FIELDS if field.page is not None}
# name: (type, smallest, largest) of the numbers; max_side's largest is the server's --max-side.
FORM_LIMITS: dict[str, tuple[type, float, float]] = {
    field.name: (field.kind, field.low, field.high) for field in recipe.FIELDS
    if field.page is not None and field.kind in (int, float)}


def _number(form: Any, name: str, max_side: int) -> int | float:
    kind, low, high = FORM_LIMITS[name]
    high = min(high, max_side) if name == "max_side" else high
    text = form.get(name, "").strip()
    if not text:
        return FORM_DEFAULTS[name] if name != "max_side" else max_side
    try:
        value = kind(text)
    except ValueError:
        raise Refusal(f"{name} must be a {'whole number' if kind is int else 'number'} from {low:g} to "
                      f"{high:g}, got {text!r}.") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise Refusal(f"{name} must be from {low:g} to {high:g}, got {text!r}.")
    return value


def read_dream_request(req: Any, settings: Settings) -> tuple[dict[str, Any], Any, str, str | None]:
    """Checks a dream request's form and image; returns (parameters, start image, SHA-256, note).

    Raises:
        Refusal: a clear message for every mistake (no file, not an image, a bad field...).
    """
    known = {"layers", *FORM_LIMITS}
    unknown = sorted(set(req.form) - known)
    if unknown:
        raise Refusal(f"Unknown field(s) {', '.join(unknown)}: the fields are image, {', '.join(sorted(known))}.")
    upload = req.files.get("image")
    if upload is None:
        raise Refusal("No image: send the picture as the multipart field 'image', "
                      "for example curl -F \"image=@photo.jpg\".")
    try:
        layers = recipe.parse_layers(req.form.get("layers") or FORM_DEFAULTS["layers"])
    except argparse.ArgumentTypeError as error:
        raise Refusal(f"layers: {error}.") from None
    numbers = {name: _number(req.form, name, settings.max_side) for name in FORM_LIMITS}
    data = upload.read()
    name = Path(upload.filename or "upload.jpg").name[-100:] or "upload.jpg"
    try:
        start = decode_image(data, f"The upload '{name}'", max_side=numbers["max_side"])
    except MemoryError as error:
        raise Refusal(str(error), 413) from None
    except ValueError as error:
        raise Refusal(str(error)) from None
    note = _shrink_note(data, start, numbers["max_side"])
    parameters = {"image": name, "noise": None, **recipe.DEFAULTS, "layers": layers, **numbers}
    return parameters, start, hashlib.sha256(data).hexdigest(), note


def _shrink_note(data: bytes, start: Any, max_side: int) -> str | None:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        width, height = img.size
    if max(width, height) <= max_side:
        return None
    return (f"The image was {width}x{height} pixels; it was dreamed at {start.shape[1]}x{start.shape[0]} "
            f"(longest side {max_side}).")


def create_app(settings: Settings | None = None) -> Flask:
    """The Flask app; its service (queue and workers) is ``app.extensions["deepdream"]``."""
    settings = settings or Settings()
    app = Flask(__name__, static_folder=str(STATIC_DIR), static_url_path="/static")
    app.config["MAX_CONTENT_LENGTH"] = int(settings.max_upload_mb * 1024 * 1024)
    service = DreamService(settings)
    app.extensions["deepdream"] = service

    def error(message: str, status: int, headers: dict[str, str] | None = None) -> Response:
        response = jsonify(error=message)
        response.status_code = status
        response.headers.update(headers or {})
        return response

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
                       max_upload_mb=settings.max_upload_mb)

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
        return {"status_url": base, "result_url": base + "/result", "sidecar_url": base + "/sidecar"}

    @app.post("/api/jobs")
    def submit() -> Response:
        job = service.submit(*read_dream_request(request, settings))
        response = jsonify(**service.status(job), **job_urls(job))
        response.status_code, response.headers["Location"] = 202, f"/api/jobs/{job.id}"
        return response

    @app.post("/deepdream")
    def deepdream() -> Response:
        job = service.submit(*read_dream_request(request, settings))
        if not job.ended.wait(settings.wait_seconds):
            service.cancel(job)
            raise Refusal(f"The dream did not finish within {settings.wait_seconds:g} s (the queue was busy, "
                          "or the dream is large): it was cancelled. Try fewer steps or a smaller max_side, "
                          "or use POST /api/jobs, which does not wait.", 503, {"Retry-After": "60"})
        return _result(job, "image/jpeg")

    def _result(job: Job, mimetype: str) -> Response:
        if job.state != "done":
            why = job.error or f"it is {job.state} ({job.done} of {job.total} steps done)"
            raise Refusal(f"Job {job.id} has no result: {why}", 409)
        stem = Path(job.parameters["image"]).stem + "_dream"
        if mimetype == "image/jpeg":
            response = Response(job.jpeg, mimetype=mimetype)
            response.headers["Content-Disposition"] = f'inline; filename="{_ascii(stem)}.jpg"'
        else:
            response = jsonify(job.sidecar)
            response.headers["Content-Disposition"] = f'attachment; filename="{_ascii(stem)}.jpg.json"'
        response.headers.update({"X-DeepDream-Job": job.id, **({"X-DeepDream-Note": _ascii(job.note)}
                                                                if job.note else {})})
        return response

    @app.get("/api/jobs/<job_id>")
    def status(job_id: str) -> Response:
        job = service.get(job_id)
        return jsonify(**service.status(job), **job_urls(job))

    @app.get("/api/jobs/<job_id>/result")
    def result(job_id: str) -> Response:
        return _result(service.get(job_id), "image/jpeg")

    @app.get("/api/jobs/<job_id>/sidecar")
    def sidecar(job_id: str) -> Response:
        return _result(service.get(job_id), "application/json")

    @app.delete("/api/jobs/<job_id>")
    def cancel(job_id: str) -> Response:
        job = service.get(job_id)
        state = service.cancel(job)
        return jsonify(id=job.id, state=state), 202 if state == "cancelling" else 200

    return app


def _ascii(text: str) -> str:
    return text.encode("ascii", "replace").decode().replace('"', "'")


