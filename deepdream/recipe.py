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


FIELDS: tuple[Field, ...] = (
    Field("layers", {"mixed3": 1.0, "mixed5": 1.0}, "layers and weights, L[=W],...; a negative weight suppresses "
          "that layer, 0 is refused", "layers", page="mixed3", label="Layers"),
    Field("steps", 25, "gradient steps per octave", int, 1, 200, page=12, label="Steps per octave"),
    Field("step_size", 0.01, "change per step, in gradient standard deviations (strength)", float, 0.001, 0.1,
          page=0.015, label="Strength (step size)"),
    Field("octaves", 4, "number of scales; 1 dreams at full size only", int, 1, 8, page=3, label="Octaves"),
    Field("octave_scale", 1.4, "size ratio between octaves", float, 1.01, 4.0),
    Field("tile_size", 512, "tile side for the random-shift tiled gradients, pixels", int, 32, 4096, nullable=True),
    Field("detail", True, "re-inject the detail lost at each upscale", bool),
    Field("seed", 0, "seeds the noise, the tile shifts and the transforms", int, 0, 2**32 - 1, page=0, label="Seed"),
    Field("max_side", None, "shrink the start image to this longest side, pixels", int, 32, 1024, page=768,
          nullable=True, label="Longest side"),
    Field("backbone", backbones.DEFAULT, "the network: " + ", ".join(backbones.BACKBONES), str,
          choices=tuple(backbones.BACKBONES)),
    Field("weights", "bundled", "bundled: offline ImageNet weights up to mixed7; imagenet: Keras's download", str,
          choices=("bundled", "imagenet")),
    Field("channel", None, "dream only this channel of the (single) layer", int, 0, 4095, nullable=True),
    Field("transforms", "robust", "robust: take each step through small random shifts, zooms and rotations; "
          "none: the tutorial's plain step", str, choices=TRANSFORM_CHOICES),
    Field("normalize", "std", "gradient normalisation: std (the tutorial's) or laplacian (per pyramid level: "
          "smoother, larger patterns)", str, choices=NORMALIZATIONS),
    Field("symmetry", None, "a kaleidoscope: mirror, N (N-fold rotation) or Nm (both), for example 6m", "symmetry",
          nullable=True),
    Field("mask", None, "where to dream: a greyscale picture the size of the start (white dreams, black keeps "
          "the picture, grey makes a soft edge)", "path", nullable=True),
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
        name, _, weight = item.partition("=")
        try:
            layers[name.strip()] = float(weight) if weight else 1.0
        except ValueError:
            raise argparse.ArgumentTypeError(f"layer weight {weight!r} is not a number") from None
    if not layers:
        raise argparse.ArgumentTypeError("give at least one layer, for example mixed3,mixed5=1.5")
    return layers


def parse_size(text: str) -> list[int]:
    """``"400x300"`` -> ``[400, 300]`` (width, height)."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size {text!r} is not WIDTHxHEIGHT, for example 400x300") from None
    if width <= 0 or height <= 0:
        raise argparse.ArgumentTypeError(f"size {text!r} must be positive")
    return [width, height]


def symmetry_parts(text: str) -> tuple[int, bool]:
    """``"mirror"`` -> (1, True); ``"6"`` -> (6, False); ``"6m"`` -> (6, True); else ArgumentTypeError."""
    if text == "mirror":
        return 1, True
    digits, mirror = (text[:-1], True) if text.endswith("m") else (text, False)
    if not digits.isdigit() or not 1 <= int(digits) <= 24:
        raise argparse.ArgumentTypeError(f"symmetry {text!r} is not mirror, N or Nm with N from 2 to 24 "
                                         "(for example 6m: six-fold, mirrored)")
    return int(digits), mirror


def parse_symmetry(text: str) -> str:
    """``"mirror"``, ``"6"`` (6-fold rotation) or ``"6m"`` (6-fold and mirrored), checked; returned as given."""
    folds, mirror = symmetry_parts(text)
    if folds == 1 and not mirror:
        raise argparse.ArgumentTypeError(f"symmetry {text!r} changes nothing: give mirror, or 2 folds or more")
    return text


def fields(max_side: int | None = None) -> dict[str, Any]:
    """What the page builds its form from: each field's kind, defaults, limits, choices and help, and
    each backbone's layers (``GET /api/recipe``). ``max_side``: the server's own limit."""
    described = []
    for field in FIELDS:
        high = min(field.high, max_side) if field.name == "max_side" and max_side else field.high
        described.append({"name": field.name, "kind": getattr(field.kind, "__name__", field.kind),
                          "default": field.default, "page": field.page, "low": field.low, "high": high,
                          "choices": field.choices, "help": field.help, "nullable": field.nullable,
                          "label": field.label or field.name})
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
            raise ValueError(f"{key} must be a file name (or null), got {value!r}")
    elif key == "noise":
        if not (isinstance(value, list) and len(value) == 2 and all(type(v) is int for v in value)):
            raise ValueError(f"noise must be [width, height] (or null), got {value!r}")
        _argument(parse_size, f"{value[0]}x{value[1]}")
    elif field.kind == "layers":
        if not (isinstance(value, dict) and value and all(checks.is_number(w) for w in value.values())):
            raise ValueError(f"layers must be a non-empty object of layer names and numbers, got {value!r}")
    elif field.kind == "symmetry":
        if not isinstance(value, str):
            raise ValueError(f"symmetry must be a string such as '6m' (or null), got {value!r}")
        _argument(parse_symmetry, value)
    elif field.kind is bool:
        checks.boolean(key, value)
    elif field.choices:
        if value not in field.choices:
            raise ValueError(f"{key} must be {' or '.join(map(repr, field.choices))}, got {value!r}")
    elif field.kind is int:
        if not checks.is_whole(value):
            raise ValueError(f"{key} must be a whole number, got {value!r}")
    elif field.kind is float and not checks.is_number(value):
        raise ValueError(f"{key} must be a number, got {value!r}")


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
        raise ValueError("give exactly one of image and noise (the other null)")
    sources = backbones.get(parameters["backbone"]).weights
    if parameters["weights"] not in sources:
        raise ValueError(f"weights must be one of {', '.join(sources)} for {parameters['backbone']}, "
                         f"got {parameters['weights']!r}")
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
        raise FileNotFoundError(f"No sidecar at '{path}'." if not path.exists() else f"'{path}' is a folder.")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError(f"'{path}' is not a JSON sidecar written by this tool (it is not JSON text). "
                         "Pass the .json file written beside a result.") from None
    parameters = record.get("parameters") if isinstance(record, dict) else None
    if not isinstance(parameters, dict):
        raise ValueError(f"'{path}' is not a sidecar written by this tool: it has no \"parameters\" object.")
    chain = record.get("chain")
    if not isinstance(chain, list) or len(chain) < 2:
        steps, recorded = [_checked(parameters, f"Sidecar '{path}'")], record.get("input_sha256")
    else:
        links = [link if isinstance(link, dict) else {} for link in chain]
        steps = [_checked(link.get("parameters"), f"Sidecar '{path}', step {number}")
                 for number, link in enumerate(links, 1)]
        recorded = links[0].get("input_sha256")
    first = steps[0]
    if first["image"] and recorded and Path(first["image"]).is_file() and not allow_changed_input:
        if hashlib.sha256(Path(first["image"]).read_bytes()).hexdigest() != recorded:
            raise ValueError(f"The start image '{first['image']}' has changed since '{path}' was written "
                             "(its SHA-256 differs), so the dream would not be the same. "
                             "Pass --allow-changed-input to dream it anyway.")
    return steps


def _checked(parameters: Any, where: str) -> dict[str, Any]:
    """One step's recorded parameters, completed for older sidecars and checked."""
    if not isinstance(parameters, dict):
        raise ValueError(f"{where} has no \"parameters\" object.")
    parameters = {key: value for key, value in BEFORE_OPTIONS.items() if key not in parameters} | parameters
    missing = [key for key in DREAM_OPTIONS if key not in parameters]
    unknown = sorted(set(parameters) - set(DREAM_OPTIONS))
    if missing or unknown:
        raise ValueError(f"{where}: " + "; ".join(
            filter(None, [missing and f"missing {', '.join(missing)}", unknown and f"unknown {', '.join(unknown)}"]))
            + ". Edit it back, or dream again with the command-line options.")
    try:
        return check_all(parameters)
    except ValueError as error:
        raise ValueError(f"{where}: {error}.") from None


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
