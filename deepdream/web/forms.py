"""Reading a dream request: its start (a photo, seeded noise, or an earlier dream), its fields and its mask.

A request is a multipart form. Its start is exactly one of:

- ``image``: a picture file (any format Pillow reads), shrunk to ``max_side``;
- ``noise``: ``WIDTHxHEIGHT``, seeded grey noise of that size (seeded by ``seed``);
- ``from_dream``: the id of one of this client's earlier dreams ("Dream more"), whose picture is
  dreamed again; the new sidecar's chain holds every step.

The optional fields are the recipe's that have a ``page`` default (``layers``, ``steps``,
``step_size``, ``octaves``, ``seed``, ``max_side``) and those the studio adds (``channel``,
``symmetry``, ``normalize``); ``mask`` is a greyscale picture the size of the start (white dreams,
black keeps the picture, grey makes a soft edge). Every mistake is a ``Refusal`` with a clear message.

``make`` chooses what the job makes (``deepdream.web.movies``): ``picture`` (the default), ``zoom`` (a
zoom animation from the start, with ``frames``, ``zoom``, ``fps`` and ``format``), or ``video``: the
start is then a ``video`` file (a clip within ``--max-video-frames``), dreamed in flow mode with
``frame_steps`` steps a frame.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps

from deepdream import recipe
from deepdream.i18n import gettext as _
from deepdream.images import check_mask, decode_image, noise_image
from deepdream.videofiles import frame_size, probe_video, read_frames
from deepdream.web import movies
from deepdream.web.history import History
from deepdream.web.jobs import DreamRequest
from deepdream.web.settings import CLIP_SHRUNK, IMAGE_SHRUNK, Refusal, Settings

# The page's fields and their defaults (a curl request without max_side gets the server's --max-side).
FORM_DEFAULTS: dict[str, Any] = {field.name: field.page for field in recipe.FIELDS if field.page is not None}
# name: (type, smallest, largest) of the numbers; max_side's largest is the server's --max-side.
FORM_LIMITS: dict[str, tuple[type, float, float]] = {
    field.name: (field.kind, field.low, field.high) for field in recipe.FIELDS
    if field.page is not None and field.kind in (int, float)}
STUDIO_FIELDS = ("channel", "symmetry", "normalize")  # more of the recipe, empty by default


def read_number(name: str, text: str, kind: type, low: float, high: float) -> int | float:
    """``text`` as a ``kind`` (int or float) from ``low`` to ``high``; every form's numbers are read here.

    Raises:
        Refusal: what the field must be, and what was sent.
    """
    try:
        value = kind(text.strip())
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and low <= value <= high):
        if not (math.isfinite(low) and math.isfinite(high)):
            must = _("{name} must be a whole number, got {text!r}.") if kind is int else \
                _("{name} must be a number, got {text!r}.")
        else:
            must = _("{name} must be a whole number from {low:g} to {high:g}, got {text!r}.") if kind is int else \
                _("{name} must be a number from {low:g} to {high:g}, got {text!r}.")
        raise Refusal(must.format(name=name, low=low, high=high, text=text))
    return value


def _field(form: Any, field: recipe.Field, high: float | None = None, default: Any = None) -> Any:
    """A number field of the recipe's kind, checked by ``read_number`` (up to ``high`` if given, else the
    field's own); when left out, ``default`` if given, else the page's default."""
    text = form.get(field.name, "").strip()
    if not text:
        return field.page if default is None else default
    return read_number(field.name, text, field.kind, field.low, field.high if high is None else high)


def _studio_fields(form: Any) -> dict[str, Any]:
    """``channel``, ``symmetry`` and ``normalize``, checked as the command line checks them."""
    found: dict[str, Any] = {}
    for name in STUDIO_FIELDS:
        text = form.get(name, "").strip()
        if not text:
            continue
        field = recipe.FIELD[name]
        if field.kind is int:
            found[name] = _field(form, field)
            continue
        try:
            value = text
            if field.kind == "symmetry":
                recipe.parse_symmetry(text)
            recipe.check(name, value)
        except (ValueError, argparse.ArgumentTypeError) as error:
            raise Refusal(_("{name}: {error} (got {text!r}).").format(name=name, error=error, text=text)) from None
        found[name] = value
    return found


def read_dream_request(req: Any, settings: Settings, history: History | None, client: str) -> DreamRequest:
    """Checks a dream request's start, fields and mask; returns what the service queues.

    Args:
        req: the Flask request.
        settings: the server's limits.
        history: the dreams kept (for ``from_dream``), or None when the server keeps none.
        client: the anonymous id of the browser or API client.

    Raises:
        Refusal: a clear message for every mistake (no start, not an image, a bad field...).
    """
    known = {"layers", *FORM_LIMITS, *STUDIO_FIELDS, "noise", "from_dream", "make", "format",
             *(field.name for fields in movies.FIELDS.values() for field in fields)}
    unknown = sorted((set(req.form) - known) | (set(req.files) - {"image", "mask", "video"}))
    if unknown:
        raise Refusal(_("Unknown field(s) {unknown}: the fields are {known}, and the files image, mask and "
                        "video.").format(unknown=", ".join(unknown), known=", ".join(sorted(known))))
    kind = req.form.get("make", "").strip() or "picture"
    if kind not in movies.KINDS:
        raise Refusal(_("make must be one of {kinds}, got {kind!r}.").format(kinds=", ".join(movies.KINDS),
                                                                             kind=kind))
    given = [name for name in ("image", "video") if name in req.files] + [
        name for name in ("noise", "from_dream") if req.form.get(name, "").strip()]
    if kind == "video" and given != ["video"]:
        raise Refusal(_("A video job dreams a clip: send it as the multipart file 'video' (and no other start), "
                        "for example curl -F make=video -F \"video=@clip.mp4\"."))
    if kind != "video" and "video" in given:
        raise Refusal(_("A clip is dreamed with make=video: add it to the form, or send a picture as 'image'."))
    if len(given) != 1:
        raise Refusal(_("No image: send the picture as the multipart field 'image', for example curl -F "
                        "\"image=@photo.jpg\"; or start from noise=WIDTHxHEIGHT, or from_dream=ID.") if not given else
                      _("Give one start, not {starts}: image, noise or from_dream.").format(
                          starts=_(" and ").join(given)))
    try:
        layers = recipe.parse_layers(req.form.get("layers") or FORM_DEFAULTS["layers"])
    except argparse.ArgumentTypeError as error:
        raise Refusal(_("{where}: {error}.").format(where="layers", error=error)) from None
    numbers = {name: _field(req.form, recipe.FIELD[name]) for name in FORM_LIMITS}
    side = recipe.FIELD["max_side"]  # a request without it gets the server's --max-side, which also bounds it
    numbers["max_side"] = _field(req.form, side, min(side.high, settings.max_side), settings.max_side)
    parameters = {**recipe.DEFAULTS, "layers": layers, **numbers, **_studio_fields(req.form),
                  **_movie_fields(req.form, kind)}
    if kind != "picture" and (parameters["symmetry"] or "mask" in req.files):
        raise Refusal(_("A {kind} takes no kaleidoscope and no mask: those are for pictures (make=picture).").format(
            kind=kind))
    if kind == "video":
        request = _clip(req.files["video"], parameters, settings)
    else:
        request = _start(given[0], req, parameters, settings, history, client)
    request.kind = kind
    request.parameters["mask"], request.mask, request.mask_png = _mask(req.files.get("mask"), request)
    try:
        request.parameters = recipe.check_all(request.parameters)
    except ValueError as error:
        raise Refusal(_("{error}.").format(error=error)) from None
    return request


def _movie_fields(form: Any, kind: str) -> dict[str, Any]:
    """The fields of a zoom or a clip (``movies.FIELDS``), checked; nothing for a picture."""
    found: dict[str, Any] = {"make": kind} if kind != "picture" else {}
    for field in movies.FIELDS.get(kind, ()):
        found[field.name] = _field(form, field)
    if kind == "zoom":
        found["format"] = form.get("format", "").strip() or "webp"
        if found["format"] not in movies.FORMATS:
            raise Refusal(_("format must be {formats}, got {format!r}.").format(
                formats=(" " + _("or") + " ").join(movies.FORMATS), format=found["format"]))
    return found


def _clip(upload: Any, parameters: dict[str, Any], settings: Settings) -> DreamRequest:
    """A clip to dream: kept in a temporary file until its job ends, checked by ffmpeg, within the limits."""
    name = Path(upload.filename or "clip.mp4").name[-100:] or "clip.mp4"
    suffix = Path(name).suffix.lower()  # ffmpeg reads by content, and by suffix: a .txt would be drawn as text
    handle, path = tempfile.mkstemp(prefix="deepdream-upload-", suffix=suffix if suffix in recipe.VIDEO_SUFFIXES
                                    else ".video")
    os.close(handle)
    clip = Path(path)
    try:
        upload.save(str(clip))
        try:
            info = probe_video(clip)
        except ValueError:
            raise Refusal(_("'{name}' is not a video ffmpeg can read: send an MP4, WebM or MOV clip.").format(
                name=name)) from None
        frames = max(1, round(info.duration * info.fps))
        if frames > settings.max_video_frames:
            raise Refusal(_("The clip '{name}' is {duration:.1f} s at {fps:g} frames per second, {frames} frames; "
                            "this server dreams at most {limit}. Cut it shorter first, for example: ffmpeg -i "
                            "{name} -t 5 -c copy short.mp4").format(name=name, duration=info.duration, fps=info.fps,
                                                                    frames=frames, limit=settings.max_video_frames),
                          413)
        size = frame_size(info, min(parameters["max_side"], settings.max_video_side))
        try:
            first = next(read_frames(clip, info, size))
        except StopIteration:
            raise Refusal(_("'{name}' has no frame ffmpeg can read: export it again as MP4 (H.264).").format(
                name=name)) from None
    except BaseException:
        clip.unlink(missing_ok=True)
        raise
    digest = hashlib.sha256(clip.read_bytes()).hexdigest()  # at most --max-upload-mb
    return DreamRequest(parameters | {"image": name, "noise": None, "max_side": max(size)},
                        first.astype("float32") / 255.0, digest, clip=clip, frames=frames,
                        note=None if max(size) == max(info.width, info.height) else  # said later (settings.said)
                        CLIP_SHRUNK.format(width=info.width, height=info.height, dreamed_width=size[0],
                                           dreamed_height=size[1]))


def _start(kind: str, req: Any, parameters: dict[str, Any], settings: Settings, history: History | None,
           client: str) -> DreamRequest:
    max_side = parameters["max_side"]
    if kind == "noise":
        try:
            width, height = recipe.parse_size(req.form["noise"].strip())
        except argparse.ArgumentTypeError as error:
            raise Refusal(_("{where}: {error}.").format(where="noise", error=error)) from None
        if min(width, height) < 32 or max(width, height) > settings.max_side:  # max_side shrinks photos only
            raise Refusal(_("noise: each side must be from 32 to {max_side} pixels, got {width}x{height}.").format(
                max_side=settings.max_side, width=width, height=height))
        return DreamRequest(parameters | {"image": None, "noise": [width, height]},
                            noise_image(width, height, seed=parameters["seed"]), None)
    if kind == "from_dream":
        dream_id = req.form["from_dream"].strip()
        data = history.read(client, dream_id, "picture") if history is not None else None
        sidecar = history.read(client, dream_id, "sidecar") if data is not None else None
        if data is None or sidecar is None:
            raise Refusal(_("No dream {dream_id!r} in your history: it was deleted, or made in another "
                            "browser.").format(dream_id=dream_id), 404)
        record = json.loads(sidecar)
        # Dreaming more from a zoom's or a clip's last frame starts a new chain (the command line re-makes pictures).
        chain = [] if record["parameters"].get("make") else record.get("chain") or [
            {"parameters": record["parameters"], "input_sha256": record.get("input_sha256")}]
        start = decode_image(data, _("The earlier dream"), max_side=max_side)
        return DreamRequest(parameters | {"image": f"{dream_id}.jpg", "noise": None}, start,
                            hashlib.sha256(data).hexdigest(), chain=chain, full_size=_pixel_size(data))
    upload = req.files["image"]
    data = upload.read()
    name = Path(upload.filename or "upload.jpg").name[-100:] or "upload.jpg"
    try:
        start = decode_image(data, _("The upload '{name}'").format(name=name), max_side=max_side)
    except MemoryError as error:
        raise Refusal(str(error), 413) from None
    except ValueError as error:
        raise Refusal(str(error)) from None
    full_size = _pixel_size(data)
    return DreamRequest(parameters | {"image": name, "noise": None}, start, hashlib.sha256(data).hexdigest(),
                        note=_shrink_note(full_size, start, max_side), full_size=full_size)


def _shrink_note(full_size: tuple[int, int], start: Any, max_side: int) -> str | None:
    height, width = full_size
    if max(width, height) <= max_side:
        return None
    return IMAGE_SHRUNK.format(width=width, height=height, dreamed_width=start.shape[1],  # said later (settings.said)
                               dreamed_height=start.shape[0], max_side=max_side)


def _mask(upload: Any, request: DreamRequest) -> tuple[str | None, Any, bytes | None]:
    """The optional mask: its name, its (H, W, 1) array at the start's size, and its file for the history."""
    if upload is None:
        return None, None, None
    data = upload.read()
    name = Path(upload.filename or "mask.png").name[-100:] or "mask.png"
    max_side = request.parameters["max_side"]
    try:
        shrunk = decode_image(data, _("The mask '{name}'").format(name=name), max_side=max_side)  # if not an image
        height, width = _pixel_size(data)
        image_height, image_width = request.full_size or request.start.shape[:2]
        if (height, width) != (image_height, image_width):
            raise ValueError(_("The mask is {mask_width}x{mask_height} pixels, the image {width}x{height}: paint "
                               "the mask on the image itself (white dreams, black keeps it).").format(
                mask_width=width, mask_height=height, width=image_width, height=image_height))
        mask = check_mask(shrunk, request.start.shape)
    except MemoryError as error:
        raise Refusal(str(error), 413) from None
    except ValueError as error:
        raise Refusal(str(error)) from None
    return name, mask, data  # the file as sent, kept beside the dream


def _pixel_size(data: bytes) -> tuple[int, int]:
    """(height, width) of an image file, upright (as ``decode_image`` reads it)."""
    with Image.open(io.BytesIO(data)) as img:
        width, height = ImageOps.exif_transpose(img).size
    return height, width
