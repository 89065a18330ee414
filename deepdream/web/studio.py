"""The studio's page and what it reads before any dream: the form's fields, the layers, the layer guide.

Routes (the ``studio`` blueprint):
    GET    /                 the page (templates/index.html; static/app.js, style.css: served here, no CDN)
    GET    /guide/atlas.jpg  the layer guide (notebook 06's atlas)
    GET    /api/recipe       the form's fields (defaults, limits, help) and each backbone's layers
    GET    /api/layers       the layers a dream can use, the form's defaults and limits

Nothing here imports TensorFlow: the page and its layers load at once. Both API routes also say whether the
first dream will start at once (``first_dream_ready``: the network is loaded where it runs) or load it
first.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, send_file

from deepdream import backbones, recipe
from deepdream.i18n import gettext as _
from deepdream.paths import REPO_ROOT
from deepdream.web import locales, movies
from deepdream.web.forms import FORM_DEFAULTS, FORM_LIMITS
from deepdream.web.settings import Refusal, Settings

ATLAS = REPO_ROOT / "outputs" / "06_atlas_noise.jpg"  # the layer guide the page shows (notebook 06)

blueprint = Blueprint("studio", __name__)


def _settings() -> Settings:
    return current_app.extensions["deepdream"].settings


@blueprint.get("/")
def page() -> Response:
    return locales.render_page("index.html", "app.js")


@blueprint.get("/guide/atlas.jpg")
def atlas() -> Response:
    if not ATLAS.is_file():
        raise Refusal(_("The layer atlas is not there: run notebook 06 (make dreams)."), 404)
    return send_file(ATLAS, mimetype="image/jpeg")


@blueprint.get("/api/recipe")
def recipe_fields() -> Response:
    settings = _settings()
    return jsonify(**recipe.fields(settings.max_side), page_fields=list(FORM_DEFAULTS),
                   max_upload_mb=settings.max_upload_mb, movies=movies.page_fields(),
                   max_video_frames=settings.max_video_frames,
                   first_dream_ready=current_app.extensions["deepdream"].first_dream_ready())


@blueprint.get("/api/layers")
def layers() -> Response:  # from the backbone's description: no TensorFlow, so at once
    settings = _settings()
    record = backbones.get(backbones.DEFAULT)
    limits = dict(FORM_LIMITS) | {"max_side": (int, 32, settings.max_side)}
    return jsonify(layers=list(record.layers_for(backbones.default_weights(record.name))),
                   suggested=list(record.suggested_layers), defaults=FORM_DEFAULTS,
                   limits={name: [low, high] for name, (_, low, high) in limits.items()},
                   max_upload_mb=settings.max_upload_mb,
                   first_dream_ready=current_app.extensions["deepdream"].first_dream_ready())
