"""The recipe of one dream: its parameters, their defaults, limits and checks, and its JSON sidecar.

One place for every parameter (no TensorFlow here, so it loads at once): the command line builds its
options from it, the web page builds its form from ``fields()`` (served as ``GET /api/recipe``), the
video and the web app check with it, and a sidecar written by any of them is read back by
``read_sidecar`` and dreamed again with ``dream_arguments``. A new parameter is one ``Field`` below
(and its use in ``dream_arguments``).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import importlib.metadata
import json
import platform
from pathlib import Path
from typing import Any

from deepdream import backbones, checks
from deepdream.i18n import N_
from deepdream.i18n import gettext as _
from deepdream.transforms import NORMALIZATIONS, ROBUST, Symmetry

TRANSFORM_CHOICES = ("robust", "none")  # dd.ROBUST or the plain step
VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ogv")


@dataclasses.dataclass(frozen=True)
class Field:
    """One parameter of a dream.

    Attributes:
        name: its key in the sidecar and the form (``--name-with-dashes`` on the command line).
        default: what the command line dreams with unless told.
        help: one line for ``--help`` and the page.
        kind: ``int``, ``float``, ``bool``, ``str`` or ``"layers"``, ``"size"``, ``"symmetry"``, ``"path"``.
        low, high: the limits of a number (the page's and the web API's; Python checks low only).
        choices: the values a string may take.
        page: the page's default, if the page shows this field (None: the page leaves it out).
        nullable: whether None is a value (``channel``, ``max_side``...).
        label: its name on the page.
    """

    name: str
    default: Any
    help: str
    kind: Any = int
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] | None = None
    page: Any = None
    nullable: bool = False
    label: str = ""


# help and label are marked for the catalog and said in the language in use: _(field.help) (the page reads them too)
FIELDS: tuple[Field, ...] = (
    Field("layers", {"mixed3": 1.0, "mixed5": 1.0}, N_("layers and weights, L[=W],...; a negative weight "
          "suppresses that layer, 0 is refused"), "layers", page="mixed3", label=N_("Layers")),
    Field("steps", 25, N_("gradient steps per octave"), int, 1, 200, page=12, label=N_("Steps per octave")),
    Field("step_size", 0.01, N_("change per step, in gradient standard deviations (strength)"), float, 0.001, 0.1,
          page=0.015, label=N_("Strength (step size)")),
    Field("octaves", 4, N_("number of scales; 1 dreams at full size only"), int, 1, 8, page=3, label=N_("Octaves")),
    Field("octave_scale", 1.4, N_("size ratio between octaves"), float, 1.01, 4.0),
    Field("tile_size", 512, N_("tile side for the random-shift tiled gradients, pixels"), int, 32, 4096,
          nullable=True),
    Field("detail", True, N_("re-inject the detail lost at each upscale"), bool),
    Field("seed", 0, N_("seeds the noise, the tile shifts and the transforms"), int, 0, 2**32 - 1, page=0,
          label=N_("Seed")),
    Field("max_side", None, N_("shrink the start image to this longest side, pixels"), int, 32, 1024, page=768,
          nullable=True, label=N_("Longest side")),
    # the list of backbones.BACKBONES written out, so that the catalog has it: keep the two in step
    Field("backbone", backbones.DEFAULT, N_("the network: inceptionv3, vgg19"), str,
          choices=tuple(backbones.BACKBONES)),
    Field("weights", "bundled", N_("bundled: offline ImageNet weights up to mixed7; imagenet: Keras's download"),
          str, choices=("bundled", "imagenet")),
    Field("channel", None, N_("dream only this channel of the (single) layer"), int, 0, 4095, nullable=True),
    Field("transforms", "robust", N_("robust: take each step through small random shifts, zooms and rotations; "
          "none: the tutorial's plain step"), str, choices=TRANSFORM_CHOICES),
    Field("normalize", "std", N_("gradient normalisation: std (the tutorial's) or laplacian (per pyramid level: "
          "smoother, larger patterns)"), str, choices=NORMALIZATIONS),
    Field("symmetry", None, N_("a kaleidoscope: mirror, N (N-fold rotation) or Nm (both), for example 6m"),
          "symmetry", nullable=True),
    Field("mask", None, N_("where to dream: a greyscale picture the size of the start (white dreams, black keeps "
          "the picture, grey makes a soft edge)"), "path", nullable=True),
)
FIELD = {field.name: field for field in FIELDS}
DEFAULTS: dict[str, Any] = {field.name: field.default for field in FIELDS}
DREAM_OPTIONS = ("image", "noise", *DEFAULTS)
# Sidecars written before these options existed dreamed without them: read back so, they dream the same.
BEFORE_OPTIONS = {"transforms": "none", "normalize": "std", "symmetry": None, "backbone": backbones.DEFAULT,
                  "mask": None}


def parse_layers(text: str) -> dict[str, float]:
    """``"mixed3,mixed5=1.5"`` -> ``{"mixed3": 1.0, "mixed5": 1.5}``."""
    layers: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _equals, weight = item.partition("=")
        try:
            layers[name.strip()] = float(weight) if weight else 1.0
        except ValueError:
            raise argparse.ArgumentTypeError(_("layer weight {weight!r} is not a number").format(
                weight=weight)) from None
    if not layers:
        raise argparse.ArgumentTypeError(_("give at least one layer, for example mixed3,mixed5=1.5"))
    return layers


def parse_size(text: str) -> list[int]:
    """``"400x300"`` -> ``[400, 300]`` (width, height)."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(_("size {text!r} is not WIDTHxHEIGHT, for example 400x300").format(
            text=text)) from None
    if width <= 0 or height <= 0:
        raise argparse.ArgumentTypeError(_("size {text!r} must be positive").format(text=text))
    return [width, height]


def symmetry_parts(text: str) -> tuple[int, bool]:
    """``"mirror"`` -> (1, True); ``"6"`` -> (6, False); ``"6m"`` -> (6, True); else ArgumentTypeError."""
    if text == "mirror":
        return 1, True
    digits, mirror = (text[:-1], True) if text.endswith("m") else (text, False)
    if not digits.isdigit() or not 1 <= int(digits) <= 24:
        raise argparse.ArgumentTypeError(_("symmetry {text!r} is not mirror, N or Nm with N from 2 to 24 "
                                           "(for example 6m: six-fold, mirrored)").format(text=text))
    return int(digits), mirror


def parse_symmetry(text: str) -> str:
    """``"mirror"``, ``"6"`` (6-fold rotation) or ``"6m"`` (6-fold and mirrored), checked; returned as given."""
    folds, mirror = symmetry_parts(text)
    if folds == 1 and not mirror:
        raise argparse.ArgumentTypeError(_("symmetry {text!r} changes nothing: give mirror, or 2 folds or more").format(
            text=text))
    return text


def fields(max_side: int | None = None) -> dict[str, Any]:
    """What the page builds its form from: each field's kind, defaults, limits, choices, and its help and label
    in the language in use (a web request's), and each backbone's layers (``GET /api/recipe``). ``max_side``: the
    server's own limit."""
    described = []
    for field in FIELDS:
        high = min(field.high, max_side) if field.name == "max_side" and max_side else field.high
        described.append({"name": field.name, "kind": getattr(field.kind, "__name__", field.kind),
                          "default": field.default, "page": field.page, "low": field.low, "high": high,
                          "choices": field.choices, "help": _(field.help), "nullable": field.nullable,
                          "label": _(field.label) if field.label else field.name})
    return {"fields": described, "backbones": {name: record.describe() for name, record in backbones.BACKBONES.items()}}


def check(key: str, value: Any) -> None:
    """Checks the kind of one parameter (a sidecar's, say); its range is checked by the module, as for options.

    Raises:
        ValueError: with what to give instead.
    """
    field = FIELD.get(key)
    if value is None and (key in ("image", "noise") or (field is not None and field.nullable)):
        return
    if key == "image" or (field is not None and field.kind == "path"):
        if not isinstance(value, str) or not value:
            raise ValueError(_("{key} must be a file name (or null), got {value!r}").format(key=key, value=value))
    elif key == "noise":
        if not (isinstance(value, list) and len(value) == 2 and all(type(v) is int for v in value)):
            raise ValueError(_("noise must be [width, height] (or null), got {value!r}").format(value=value))
        _argument(parse_size, f"{value[0]}x{value[1]}")
    elif field.kind == "layers":
        if not (isinstance(value, dict) and value and all(checks.is_number(w) for w in value.values())):
            raise ValueError(_("layers must be a non-empty object of layer names and numbers, got {value!r}").format(
                value=value))
    elif field.kind == "symmetry":
        if not isinstance(value, str):
            raise ValueError(_("symmetry must be a string such as '6m' (or null), got {value!r}").format(value=value))
        _argument(parse_symmetry, value)
    elif field.kind is bool:
        checks.boolean(key, value)
    elif field.choices:
        if value not in field.choices:
            raise ValueError(_("{key} must be {choices}, got {value!r}").format(
                key=key, choices=(" " + _("or") + " ").join(map(repr, field.choices)), value=value))
    elif field.kind is int:
        if not checks.is_whole(value):
            raise ValueError(_("{key} must be a whole number, got {value!r}").format(key=key, value=value))
    elif field.kind is float and not checks.is_number(value):
        raise ValueError(_("{key} must be a number, got {value!r}").format(key=key, value=value))


def _argument(parse: Any, text: str) -> Any:
    try:
        return parse(text)
    except argparse.ArgumentTypeError as error:
        raise ValueError(str(error)) from None


def check_all(parameters: dict[str, Any]) -> dict[str, Any]:
    """Checks a whole recipe: each parameter, one start, and weights the backbone has."""
    for key in DREAM_OPTIONS:
        check(key, parameters[key])
    if (parameters["image"] is None) == (parameters["noise"] is None):
        raise ValueError(_("give exactly one of image and noise (the other null)"))
    sources = backbones.get(parameters["backbone"]).weights
    if parameters["weights"] not in sources:
        raise ValueError(_("weights must be one of {sources} for {backbone}, got {weights!r}").format(
            sources=", ".join(sources), backbone=parameters["backbone"], weights=parameters["weights"]))
    return parameters


def result_name(parameters: dict[str, Any], suffix: str = ".jpg") -> str:
    """A result's file name from its start: ``photo_dream.jpg``, or ``noise_400x300_dream.jpg``."""
    if parameters["image"]:
        return f"{Path(parameters['image']).stem}_dream{suffix}"
    width, height = parameters["noise"]
    return f"noise_{width}x{height}_dream{suffix}"


def sidecar_path(output: Path) -> Path:
    """The sidecar of a result: its full file name plus ``.json`` (``dream.jpg`` -> ``dream.jpg.json``)."""
    return output.with_name(output.name + ".json")


def read_sidecar(path: Path, allow_changed_input: bool = False) -> dict[str, Any]:
    """The parameters recorded in a sidecar (of its last step), checked as the command line checks its arguments.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: not a sidecar, a parameter missing, unknown or of the wrong kind, or the
            start image changed since (unless ``allow_changed_input``).
    """
    return read_chain(path, allow_changed_input)[-1]


def read_chain(path: Path, allow_changed_input: bool = False) -> list[dict[str, Any]]:
    """Every step recorded in a sidecar, first to last, each checked: one step, or a chain.

    A chain is what the studio's "Dream more" records (``"chain"``: each step's parameters and its
    input's hash). Step 1 starts from its image or noise; each later step dreams the step before as
    it was saved (a JPEG, ``files.jpeg_bytes``). Raises as ``read_sidecar``, naming the step.
    """
    if not path.is_file():
        raise FileNotFoundError((_("No sidecar at '{path}'.") if not path.exists() else _("'{path}' is a folder."))
                                .format(path=path))
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError(_("'{path}' is not a JSON sidecar written by this tool (it is not JSON text). "
                           "Pass the .json file written beside a result.").format(path=path)) from None
    parameters = record.get("parameters") if isinstance(record, dict) else None
    if not isinstance(parameters, dict):
        raise ValueError(_("'{path}' is not a sidecar written by this tool: it has no \"parameters\" object.").format(
            path=path))
    chain = record.get("chain")
    if not isinstance(chain, list) or len(chain) < 2:
        steps, recorded = [_checked(parameters, _("Sidecar '{path}'").format(path=path))], record.get("input_sha256")
    else:
        links = [link if isinstance(link, dict) else {} for link in chain]
        steps = [_checked(link.get("parameters"), _("Sidecar '{path}', step {number}").format(path=path, number=number))
                 for number, link in enumerate(links, 1)]
        recorded = links[0].get("input_sha256")
    first = steps[0]
    if first["image"] and recorded and Path(first["image"]).is_file() and not allow_changed_input:
        if hashlib.sha256(Path(first["image"]).read_bytes()).hexdigest() != recorded:
            raise ValueError(_("The start image '{image}' has changed since '{path}' was written "
                               "(its SHA-256 differs), so the dream would not be the same. "
                               "Pass --allow-changed-input to dream it anyway.").format(
                                   image=first["image"], path=path))
    return steps


def _checked(parameters: Any, where: str) -> dict[str, Any]:
    """One step's recorded parameters, completed for older sidecars and checked."""
    if not isinstance(parameters, dict):
        raise ValueError(_("{where} has no \"parameters\" object.").format(where=where))
    parameters = {key: value for key, value in BEFORE_OPTIONS.items() if key not in parameters} | parameters
    missing = [key for key in DREAM_OPTIONS if key not in parameters]
    unknown = sorted(set(parameters) - set(DREAM_OPTIONS))
    if missing or unknown:
        problems = "; ".join(filter(None, [missing and _("missing {keys}").format(keys=", ".join(missing)),
                                           unknown and _("unknown {keys}").format(keys=", ".join(unknown))]))
        raise ValueError(_("{where}: {problems}. Edit it back, or dream again with the command-line options.").format(
            where=where, problems=problems))
    try:
        return check_all(parameters)
    except ValueError as error:
        raise ValueError(_("{where}: {error}.").format(where=where, error=error)) from None


def model_arguments(parameters: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of ``dd.dream_model`` for recorded parameters."""
    return {"layers": parameters["layers"], "weights": parameters["weights"], "channel": parameters["channel"],
            "backbone": parameters["backbone"]}


def dream_arguments(parameters: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of ``dd.dream_octaves`` for recorded parameters (all but the model and image)."""
    return {"octaves": parameters["octaves"], "octave_scale": parameters["octave_scale"],
            "steps_per_octave": parameters["steps"], "step_size": parameters["step_size"],
            "tile_size": parameters["tile_size"], "reinject_detail": parameters["detail"], "seed": parameters["seed"],
            "transforms": ROBUST if parameters["transforms"] == "robust" else None,
            "normalize": parameters["normalize"],
            "symmetry": Symmetry(*symmetry_parts(parameters["symmetry"])) if parameters["symmetry"] else None}


def versions() -> dict[str, str]:
    """The versions a sidecar records (read from the installed packages: TensorFlow is not imported)."""
    found = {"python": platform.python_version()}
    for name, package in (("tensorflow", "tensorflow"), ("keras", "keras"), ("numpy", "numpy"),
                          ("pillow", "pillow")):
        try:
            found[name] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "unknown"
    return found


def sidecar_record(parameters: dict[str, Any], input_sha256: str | None, result, history, seconds: float,
                   output: str) -> dict[str, Any]:
    """The JSON sidecar of one dream: its parameters, input hash, weights, versions and outcome."""
    record = backbones.get(parameters["backbone"])
    return {
        "parameters": parameters,
        "input_sha256": input_sha256,
        "weights": record.weights[parameters["weights"]].description,
        "versions": versions(),
        "output": output,
        "size": [int(result.shape[1]), int(result.shape[0])],
        "steps_done": len(history),
        "interrupted": history.interrupted,
        "final_loss": history[-1] if history else None,
        "seconds": round(seconds, 2),
    }
