"""The HTTP API of dreams: submit, follow, fetch and cancel a job; a layer's channel strip.

Routes (the ``api`` blueprint):
    POST   /deepdream               the documented route: waits its turn in the queue, answers image/jpeg
    POST   /api/jobs                202 and the job's id and URLs
    GET    /api/jobs/<id>           state, queue position, steps done of total, seconds left, error
    GET    /api/jobs/<id>/preview   a small JPEG of the picture as it is now (the result once done)
    GET    /api/jobs/<id>/result    the JPEG (a zoom's WebP or MP4, a clip's MP4), once done
    GET    /api/jobs/<id>/picture   the JPEG of its last frame, for a zoom or a clip
    GET    /api/jobs/<id>/sidecar   the JSON sidecar the command line writes
    DELETE /api/jobs/<id>           cancel (a running dream stops at its next step)
    GET    /api/channels/<layer>    what each channel of a layer dreams: progress, then the sheet's layout
    GET    /api/channels/<layer>/sprite.jpg  the sheet of thumbnails (partial while they are dreamed)

Both dream routes take a multipart form (``deepdream.web.forms``): a start (an ``image`` file,
``noise=WxH``, or ``from_dream=ID``), the recipe's fields, and an optional ``mask`` file; ``make=zoom``
or ``make=video`` (with a ``video`` file) makes a moving picture instead.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, g, jsonify, request

from deepdream import recipe
from deepdream.i18n import gettext as _
from deepdream.web import movies
from deepdream.web.forms import read_dream_request
from deepdream.web.jobs import DreamService, Job
from deepdream.web.settings import Refusal, said, state_said

blueprint = Blueprint("api", __name__)


def _service() -> DreamService:
    return current_app.extensions["deepdream"]


def _submit() -> Job:
    service = _service()
    dream_request = read_dream_request(request, service.settings, service.history, g.client)
    return service.submit(dream_request, g.client, g.turn)


def _urls(job: Job) -> dict[str, str]:
    base = f"/api/jobs/{job.id}"
    return {"status_url": base, "preview_url": base + "/preview", "result_url": base + "/result",
            "picture_url": base + "/picture", "sidecar_url": base + "/sidecar"}


@blueprint.post("/api/jobs")
def submit() -> Response:
    job = _submit()
    response = jsonify(**_service().status(job), **_urls(job))
    response.status_code, response.headers["Location"] = 202, f"/api/jobs/{job.id}"
    return response


@blueprint.post("/deepdream")
def deepdream() -> Response:
    job, service = _submit(), _service()
    wait_seconds = service.settings.wait_seconds
    if not job.ended.wait(wait_seconds):
        service.cancel(job)
        raise Refusal(_("The dream did not finish within {wait_seconds:g} s (the queue was busy, or the dream "
                        "is large): it was cancelled. Try fewer steps or a smaller max_side, or use POST "
                        "/api/jobs, which does not wait.").format(wait_seconds=wait_seconds), 503,
                      {"Retry-After": "60"})
    return _result(job, service.result_type(job))


def _result(job: Job, mimetype: str) -> Response:
    if job.state != "done":
        progress = _("it is {state} ({done} of {total} frames done)") if job.unit == "frame" else \
            _("it is {state} ({done} of {total} steps done)")
        why = said(job.error) or progress.format(state=state_said(job.state), done=job.done, total=job.total)
        raise Refusal(_("Job {job_id} has no result: {why}").format(job_id=job.id, why=why), 409)
    stem = Path(recipe.result_name(job.parameters)).stem
    if mimetype in movies.FORMATS.values() and job.movie is not None:
        response = Response(job.movie[1], mimetype=mimetype)
        response.headers["Content-Disposition"] = f'inline; filename="{ascii_header(stem)}.{job.movie[0]}"'
    elif mimetype == "image/jpeg":
        response = Response(job.jpeg, mimetype=mimetype)
        response.headers["Content-Disposition"] = f'inline; filename="{ascii_header(stem)}.jpg"'
    else:
        response = jsonify(job.sidecar)
        response.headers["Content-Disposition"] = f'attachment; filename="{ascii_header(stem)}.jpg.json"'
    response.headers["X-DeepDream-Job"] = job.id
    if job.note:
        response.headers["X-DeepDream-Note"] = ascii_header(job.note)
    return response


def ascii_header(text: str) -> str:
    """``text`` as a header value can carry it: ASCII, with ``"`` turned to ``'``."""
    return text.encode("ascii", "replace").decode().replace('"', "'")


@blueprint.get("/api/jobs/<job_id>")
def status(job_id: str) -> Response:
    service = _service()
    job = service.get(job_id)
    return jsonify(**service.status(job), **_urls(job))


@blueprint.get("/api/jobs/<job_id>/preview")
def preview(job_id: str) -> Response:
    service = _service()
    response = Response(service.preview(service.get(job_id)), mimetype="image/jpeg")
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/api/jobs/<job_id>/result")
def result(job_id: str) -> Response:
    service = _service()
    job = service.get(job_id)
    return _result(job, service.result_type(job))


@blueprint.get("/api/jobs/<job_id>/picture")
def picture(job_id: str) -> Response:
    return _result(_service().get(job_id), "image/jpeg")


@blueprint.get("/api/jobs/<job_id>/sidecar")
def sidecar(job_id: str) -> Response:
    return _result(_service().get(job_id), "application/json")


@blueprint.delete("/api/jobs/<job_id>")
def cancel(job_id: str) -> Response:
    service = _service()
    job = service.get(job_id)
    state = service.cancel(job)
    return jsonify(id=job.id, state=state), 202 if state == "cancelling" else 200


@blueprint.get("/api/channels/<layer>")
def channel_strip(layer: str) -> Response:  # started on first request, kept on disk
    try:
        strip = _service().strips.status(layer)
    except ValueError as error:
        raise Refusal(str(error), 404) from None
    strip["error"] = said(strip["error"])  # made in the strip's thread, in English
    return jsonify(**strip, sprite_url=f"/api/channels/{layer}/sprite.jpg?done={strip['done']}")


@blueprint.get("/api/channels/<layer>/sprite.jpg")
def channel_sprite(layer: str) -> Response:
    data = _service().strips.sprite(layer)
    if data is None:
        raise Refusal(_("No channels of {layer!r} dreamed yet: GET /api/channels/{layer} starts them.").format(
            layer=layer), 404)
    response = Response(data, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "no-cache"
    return response
