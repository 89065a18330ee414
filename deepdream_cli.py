"""The command-line dreamer: ``deepdream IMAGE [options]`` (or ``python -m deepdream_utils``).

Dreams one picture with octaves, random-shift tiles and random transforms (notebook 05's method), saves it,
and writes a JSON sidecar beside it with every parameter, the weights and the library
versions, so that ``--from-sidecar`` can make the same picture again.

    deepdream images/mountain.jpg -o outputs/my_dream.jpg
    deepdream --noise 400x400 --layers mixed3 --octaves 1 --steps 200 --step-size 0.02
    deepdream --noise 480x480 --layers mixed4 --channel 97 --symmetry 6m
    deepdream --from-sidecar outputs/my_dream.jpg.json -o outputs/again.jpg
    deepdream clip.mp4 -o outputs/clip_dream.mp4   # a video (deepdream_video.py; --video for other suffixes)
    deepdream serve            # the web app and HTTP API on http://127.0.0.1:5000 (deepdream_web.py)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import signal
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

DEFAULTS: dict[str, Any] = {
    "layers": {"mixed3": 1.0, "mixed5": 1.0}, "steps": 25, "step_size": 0.01, "octaves": 4,
    "octave_scale": 1.4, "tile_size": 512, "detail": True, "seed": 0, "max_side": None, "weights": "bundled",
    "channel": None, "transforms": "robust", "normalize": "std", "symmetry": None,
}
DREAM_OPTIONS = ("image", "noise", *DEFAULTS)
# Sidecars written before these options existed dreamed without them: read back so, they dream the same.
BEFORE_OPTIONS = {"transforms": "none", "normalize": "std", "symmetry": None}
TRANSFORM_CHOICES = ("robust", "none")  # dd.ROBUST or the plain step
NORMALIZE_CHOICES = ("std", "laplacian")  # as deepdream_utils.NORMALIZATIONS
WEIGHT_SOURCES = ("bundled", "imagenet")  # as deepdream_utils.WEIGHT_SOURCES, without importing TensorFlow
VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ogv")  # as deepdream_video


class _OneLineParser(argparse.ArgumentParser):
    """Reports a usage mistake as one line (and exit status 2) instead of the usage block."""

    def error(self, message: str) -> None:
        self.exit(2, f"deepdream: error: {message} (see --help)\n")


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


def parse_symmetry(text: str) -> str:
    """``"mirror"``, ``"6"`` (6-fold rotation) or ``"6m"`` (6-fold and mirrored), checked; returned as given."""
    folds, mirror = _symmetry_parts(text)
    if folds == 1 and not mirror:
        raise argparse.ArgumentTypeError(f"symmetry {text!r} changes nothing: give mirror, or 2 folds or more")
    return text


def _symmetry_parts(text: str) -> tuple[int, bool]:
    if text == "mirror":
        return 1, True
    digits, mirror = (text[:-1], True) if text.endswith("m") else (text, False)
    if not digits.isdigit() or not 1 <= int(digits) <= 24:
        raise argparse.ArgumentTypeError(f"symmetry {text!r} is not mirror, N or Nm with N from 2 to 24 "
                                         "(for example 6m: six-fold, mirrored)")
    return int(digits), mirror


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="deepdream",
        description="Dream a picture with InceptionV3 (octaves, random-shift tiled gradients, random transforms), "
                    "save it, and write a JSON sidecar that can re-run it.",
        epilog="Examples:\n" + __doc__.split("\n\n")[2], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("image", nargs="?", help="start image (any format Pillow reads); or use --noise")
    parser.add_argument("-o", "--output", type=Path,
                        help="result path, .jpg or .png (default: outputs/<name>_dream.jpg); "
                             "the sidecar is written beside it, named after it plus .json")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an existing output that this tool did not write (never the start image)")
    parser.add_argument("--noise", type=parse_size, metavar="WxH", help="start from seeded noise of this size")
    parser.add_argument("--layers", type=parse_layers, metavar="L[=W],...",
                        help=f"layers and weights (default: {','.join(DEFAULTS['layers'])}, weight 1); "
                             "a negative weight suppresses that layer, 0 is refused")
    parser.add_argument("--steps", type=int, help=f"gradient steps per octave (default: {DEFAULTS['steps']})")
    parser.add_argument("--step-size", type=float,
                        help=f"change per step, in gradient standard deviations (default: {DEFAULTS['step_size']})")
    parser.add_argument("--octaves", type=int,
                        help=f"number of scales; 1 dreams at full size only (default: {DEFAULTS['octaves']})")
    parser.add_argument("--octave-scale", type=float,
                        help=f"size ratio between octaves (default: {DEFAULTS['octave_scale']})")
    parser.add_argument("--tile-size", type=int,
                        help="tile side for the random-shift tiled gradients, pixels "
                             f"(default: {DEFAULTS['tile_size']})")
    parser.add_argument("--no-detail", dest="detail", action="store_false", default=None,
                        help="do not re-inject the detail lost at each upscale (default: re-inject)")
    parser.add_argument("--seed", type=int, help=f"seeds the noise and the tile shifts (default: {DEFAULTS['seed']})")
    parser.add_argument("--max-side", type=int, help="shrink the start image to this longest side (default: keep)")
    parser.add_argument("--channel", type=int, help="dream only this channel of the (single) layer")
    parser.add_argument("--transforms", choices=TRANSFORM_CHOICES,
                        help="robust: take each step through small random shifts, zooms and rotations (clean "
                             "motifs, no grey frame); none: the tutorial's plain step (default: robust)")
    parser.add_argument("--normalize", choices=NORMALIZE_CHOICES,
                        help="gradient normalisation: std (the tutorial's) or laplacian (per pyramid level: "
                             "smoother, larger patterns) (default: std)")
    parser.add_argument("--symmetry", type=parse_symmetry, metavar="KIND",
                        help="a kaleidoscope: mirror, N (N-fold rotation) or Nm (both), for example 6m")
    parser.add_argument("--weights", choices=WEIGHT_SOURCES,
                        help="bundled: offline ImageNet weights up to mixed7; imagenet: Keras's download "
                             "(default: bundled)")
    parser.add_argument("--from-sidecar", type=Path, metavar="FILE",
                        help="re-run the dream recorded in this JSON sidecar (only -o, --overwrite, "
                             "--allow-changed-input and --quiet may be added)")
    parser.add_argument("--allow-changed-input", action="store_true",
                        help="with --from-sidecar: dream even if the start image changed since")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    return parser


def sidecar_path(output: Path) -> Path:
    """The sidecar of a result: its full file name plus ``.json`` (``dream.jpg`` -> ``dream.jpg.json``)."""
    return output.with_name(output.name + ".json")


def _check_recorded(key: str, value: Any) -> None:
    """Checks the kind of one recorded parameter (its range is checked by the module, as for options)."""
    if key in ("image", "noise", "max_side", "channel", "tile_size", "symmetry") and value is None:
        return
    if key == "image":
        if not isinstance(value, str) or not value:
            raise ValueError(f"image must be a file name (or null), got {value!r}")
    elif key == "detail":
        if not isinstance(value, bool):
            raise ValueError(f"detail must be true or false, got {value!r}")
    elif key == "weights":
        if value not in WEIGHT_SOURCES:
            raise ValueError(f"weights must be 'bundled' or 'imagenet', got {value!r}")
    elif key in ("transforms", "normalize"):
        choices = TRANSFORM_CHOICES if key == "transforms" else NORMALIZE_CHOICES
        if value not in choices:
            raise ValueError(f"{key} must be one of {', '.join(choices)}, got {value!r}")
    elif key == "symmetry":
        if not isinstance(value, str):
            raise ValueError(f"symmetry must be a string such as '6m' (or null), got {value!r}")
        parse_symmetry(value)
    elif key == "noise":
        if not (isinstance(value, list) and len(value) == 2 and all(type(v) is int for v in value)):
            raise ValueError(f"noise must be [width, height] (or null), got {value!r}")
        parse_size(f"{value[0]}x{value[1]}")
    elif key == "layers":
        if not (isinstance(value, dict) and value and all(
                isinstance(w, (int, float)) and not isinstance(w, bool) for w in value.values())):
            raise ValueError(f"layers must be a non-empty object of layer names and numbers, got {value!r}")
    elif key in ("steps", "octaves", "seed", "max_side", "channel", "tile_size"):
        if type(value) is not int:
            raise ValueError(f"{key} must be a whole number, got {value!r}")
    elif key in ("step_size", "octave_scale"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{key} must be a number, got {value!r}")


def read_sidecar(path: Path, allow_changed_input: bool = False) -> dict[str, Any]:
    """The parameters recorded in a sidecar, checked as the command line checks its arguments.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: not a sidecar, a parameter missing, unknown or of the wrong kind, or the
            start image changed since (unless ``allow_changed_input``).
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
    parameters = {key: value for key, value in BEFORE_OPTIONS.items() if key not in parameters} | parameters
    missing = [key for key in DREAM_OPTIONS if key not in parameters]
    unknown = sorted(set(parameters) - set(DREAM_OPTIONS))
    if missing or unknown:
        raise ValueError(f"Sidecar '{path}': " + "; ".join(
            filter(None, [missing and f"missing {', '.join(missing)}", unknown and f"unknown {', '.join(unknown)}"]))
            + ". Edit it back, or dream again with the command-line options.")
    for key in DREAM_OPTIONS:
        try:
            _check_recorded(key, parameters[key])
        except (ValueError, argparse.ArgumentTypeError) as error:
            raise ValueError(f"Sidecar '{path}': {error}.") from None
    if (parameters["image"] is None) == (parameters["noise"] is None):
        raise ValueError(f"Sidecar '{path}': give exactly one of image and noise (the other null).")
    recorded = record.get("input_sha256")
    if parameters["image"] and recorded and Path(parameters["image"]).is_file() and not allow_changed_input:
        if hashlib.sha256(Path(parameters["image"]).read_bytes()).hexdigest() != recorded:
            raise ValueError(f"The start image '{parameters['image']}' has changed since '{path}' was written "
                             "(its SHA-256 differs), so the dream would not be the same. "
                             "Pass --allow-changed-input to dream it anyway.")
    return parameters


def _parameters(args: argparse.Namespace, parser: argparse.ArgumentParser) -> dict[str, Any]:
    given = {key: getattr(args, key) for key in DREAM_OPTIONS if getattr(args, key) is not None}
    if args.from_sidecar is not None:
        if given:
            parser.error(f"--from-sidecar re-runs a recorded dream; drop {', '.join(sorted(given))}")
        return read_sidecar(args.from_sidecar, args.allow_changed_input)
    if ("image" in given) == ("noise" in given):
        parser.error("give a start IMAGE or --noise WxH (one of them)")
    return {"image": given.get("image"), "noise": given.get("noise")} | DEFAULTS | given


def _default_output(parameters: dict[str, Any], from_sidecar: Path | None) -> Path:
    import deepdream_utils as dd

    if from_sidecar is not None:
        stem = Path(from_sidecar.name.removesuffix(".json")).stem
        return from_sidecar.with_name(stem + "_rerun.jpg")
    if parameters["image"]:
        return dd.OUTPUTS_DIR / f"{Path(parameters['image']).stem}_dream.jpg"
    width, height = parameters["noise"]
    return dd.OUTPUTS_DIR / f"noise_{width}x{height}_dream.jpg"


def _versions() -> dict[str, str]:
    import numpy
    import PIL

    import deepdream_utils as dd

    return {"python": platform.python_version(), "tensorflow": dd.tf.__version__,
            "keras": dd.keras.__version__, "numpy": numpy.__version__, "pillow": PIL.__version__}


def dream_arguments(parameters: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of ``dd.dream_octaves`` for recorded parameters (all but the model and image)."""
    import deepdream_utils as dd

    return {"octaves": parameters["octaves"], "octave_scale": parameters["octave_scale"],
            "steps_per_octave": parameters["steps"], "step_size": parameters["step_size"],
            "tile_size": parameters["tile_size"], "reinject_detail": parameters["detail"], "seed": parameters["seed"],
            "transforms": dd.ROBUST if parameters["transforms"] == "robust" else None,
            "normalize": parameters["normalize"],
            "symmetry": dd.Symmetry(*_symmetry_parts(parameters["symmetry"])) if parameters["symmetry"] else None}


def sidecar_record(parameters: dict[str, Any], input_sha256: str | None, result, history, seconds: float,
                   output: str) -> dict[str, Any]:
    """The JSON sidecar of one dream: its parameters, input hash, weights, versions and outcome."""
    import deepdream_utils as dd

    return {
        "parameters": parameters,
        "input_sha256": input_sha256,
        "weights": "bundled ImageNet InceptionV3, float16, up to mixed7 (" + dd.BUNDLED_WEIGHTS.name + ")"
        if parameters["weights"] == "bundled" else "Keras's ImageNet InceptionV3 download",
        "versions": _versions(),
        "output": output,
        "size": [int(result.shape[1]), int(result.shape[0])],
        "steps_done": len(history),
        "interrupted": history.interrupted,
        "final_loss": history[-1] if history else None,
        "seconds": round(seconds, 2),
    }


def dream_from_parameters(parameters: dict[str, Any], output: Path, progress: bool = True,
                          overwrite: bool = False) -> dict[str, Any]:
    """Runs one recorded dream, saves the picture and its sidecar; returns the sidecar.

    Everything that can be checked is checked before the dream: the output and sidecar paths,
    the start image, the layers. Ctrl-C during the dream saves the picture as far as it got
    (the sidecar then says ``"interrupted": true``).
    """
    import deepdream_utils as dd

    source = Path(parameters["image"]) if parameters["image"] else None
    if source is not None and output.resolve() == source.resolve():
        raise ValueError(f"Refusing to overwrite the start image '{source}': choose another -o.")
    output = dd.check_output_path(output, overwrite=overwrite)  # before the dream, not after it
    dd.check_output_path(sidecar_path(output), (".json",), overwrite)
    if source is not None:
        start = dd.load_image(source, max_side=parameters["max_side"])
    else:
        width, height = parameters["noise"]
        start = dd.noise_image(width, height, seed=parameters["seed"])
    dm = dd.dream_model(parameters["layers"], weights=parameters["weights"], channel=parameters["channel"])
    started = time.perf_counter()
    result, history = dd.dream_octaves(dm, start, progress=progress, **dream_arguments(parameters))
    input_sha256 = hashlib.sha256(source.read_bytes()).hexdigest() if source is not None else None
    sidecar = sidecar_record(parameters, input_sha256, result, history, time.perf_counter() - started, str(output))
    with dd.signals_held():  # Ctrl-C here waits until both files are complete
        dd.save_image(result, output, overwrite=overwrite)
        dd.save_sidecar(sidecar, sidecar_path(output), overwrite=overwrite)
    return sidecar


_STOP = {"signal": signal.SIGINT}  # the signal that stopped the run (SIGTERM is handled as Ctrl-C is)


def _on_sigterm(signum, frame) -> None:
    _STOP["signal"] = signal.SIGTERM
    raise KeyboardInterrupt


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"deepdream: warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Runs the command line; returns the exit status (0, 1 bad input, 2 bad arguments, 130/143 stopped).

    ``deepdream serve [options]`` starts the web app instead (``deepdream_web.main``).
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["serve"]:
        import deepdream_web

        return deepdream_web.main(argv[1:])
    if "--video" in argv or (argv and Path(argv[0]).suffix.lower() in VIDEO_SUFFIXES):
        import deepdream_video

        return deepdream_video.main([arg for arg in argv if arg != "--video"])
    parser = build_parser()
    args = parser.parse_args(argv)
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = (warnings.showwarning, signal.getsignal(signal.SIGTERM) if in_main_thread else None)
    warnings.showwarning = _show_warning
    if in_main_thread:
        signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return _run(args, parser)
    finally:  # leave the caller's process as it was (the tests call main() in-process)
        warnings.showwarning = previous[0]
        if in_main_thread and previous[1] is not None:
            signal.signal(signal.SIGTERM, previous[1])


def _run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    _STOP["signal"] = signal.SIGINT
    try:
        parameters = _parameters(args, parser)
        output = args.output or _default_output(parameters, args.from_sidecar)
        sidecar = dream_from_parameters(parameters, output, progress=not args.quiet, overwrite=args.overwrite)
    except (ValueError, FileNotFoundError, MemoryError, OSError, FloatingPointError) as error:
        print(f"deepdream: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("deepdream: stopped. Any file saved above is complete; nothing is half-written.", file=sys.stderr)
        return 128 + _STOP["signal"]
    print(f"saved {output} and {sidecar_path(output)} ({sidecar['steps_done']} steps, "
          f"{sidecar['seconds']:.1f} s)")
    if sidecar["interrupted"]:
        print("deepdream: interrupted: the picture above is the dream as far as it got.", file=sys.stderr)
        return 128 + _STOP["signal"]
    return 0


if __name__ == "__main__":
    sys.exit(main())
