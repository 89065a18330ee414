"""The command-line dreamer: ``python -m deepdream_utils IMAGE [options]``.

Dreams one picture with octaves and random-shift tiles (notebook 05's method), saves it,
and writes a JSON sidecar beside it with every parameter, the weights and the library
versions, so that ``--from-sidecar`` can make the same picture again.

    python -m deepdream_utils images/mountain.jpg -o outputs/my_dream.jpg
    python -m deepdream_utils --noise 400x400 --layers mixed3 --octaves 1 --steps 200 --step-size 0.02
    python -m deepdream_utils --from-sidecar outputs/my_dream.json -o outputs/again.jpg
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

DEFAULTS: dict[str, Any] = {
    "layers": {"mixed3": 1.0, "mixed5": 1.0}, "steps": 25, "step_size": 0.01, "octaves": 4,
    "octave_scale": 1.4, "tile_size": 512, "detail": True, "seed": 0, "max_side": None, "weights": "bundled",
    "channel": None,
}
DREAM_OPTIONS = ("image", "noise", *DEFAULTS)


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


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="python -m deepdream_utils",
        description="Dream a picture with InceptionV3 (octaves and random-shift tiled gradients), "
                    "save it, and write a JSON sidecar that can re-run it.",
        epilog="Examples:\n" + __doc__.split("\n\n")[2], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("image", nargs="?", help="start image (any format Pillow reads); or use --noise")
    parser.add_argument("-o", "--output", type=Path,
                        help="result path, .jpg or .png (default: outputs/<name>_dream.jpg); "
                             "the sidecar is written beside it with the suffix .json")
    parser.add_argument("--noise", type=parse_size, metavar="WxH", help="start from seeded noise of this size")
    parser.add_argument("--layers", type=parse_layers, metavar="L[=W],...",
                        help=f"layers and weights (default: {','.join(DEFAULTS['layers'])}, weight 1)")
    parser.add_argument("--steps", type=int, help=f"gradient steps per octave (default: {DEFAULTS['steps']})")
    parser.add_argument("--step-size", type=float,
                        help=f"change per step, in gradient standard deviations (default: {DEFAULTS['step_size']})")
    parser.add_argument("--octaves", type=int,
                        help=f"number of scales; 1 dreams at full size only (default: {DEFAULTS['octaves']})")
    parser.add_argument("--octave-scale", type=float,
                        help=f"size ratio between octaves (default: {DEFAULTS['octave_scale']})")
    parser.add_argument("--tile-size", type=int,
                        help=f"tile side for the random-shift tiled gradients, pixels (default: {DEFAULTS['tile_size']})")
    parser.add_argument("--no-detail", dest="detail", action="store_false", default=None,
                        help="do not re-inject the detail lost at each upscale (default: re-inject)")
    parser.add_argument("--seed", type=int, help=f"seeds the noise and the tile shifts (default: {DEFAULTS['seed']})")
    parser.add_argument("--max-side", type=int, help="shrink the start image to this longest side (default: keep)")
    parser.add_argument("--channel", type=int, help="dream only this channel of the (single) layer")
    parser.add_argument("--weights", choices=["bundled", "imagenet"],
                        help="bundled: offline ImageNet weights up to mixed7; imagenet: Keras's download "
                             "(default: bundled)")
    parser.add_argument("--from-sidecar", type=Path, metavar="FILE",
                        help="re-run the dream recorded in this JSON sidecar (only -o and --quiet may be added)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    return parser


def _parameters(args: argparse.Namespace, parser: argparse.ArgumentParser) -> dict[str, Any]:
    given = {key: getattr(args, key) for key in DREAM_OPTIONS if getattr(args, key) is not None}
    if args.from_sidecar is not None:
        if given:
            parser.error(f"--from-sidecar re-runs a recorded dream; drop {', '.join(sorted(given))}")
        try:
            return json.loads(args.from_sidecar.read_text())["parameters"]
        except FileNotFoundError:
            raise FileNotFoundError(f"No sidecar at '{args.from_sidecar}'.") from None
        except (json.JSONDecodeError, KeyError, TypeError):
            raise ValueError(f"'{args.from_sidecar}' is not a sidecar written by this tool.") from None
    if ("image" in given) == ("noise" in given):
        parser.error("give a start IMAGE or --noise WxH (one of them)")
    return {"image": given.get("image"), "noise": given.get("noise")} | DEFAULTS | given


def _default_output(parameters: dict[str, Any], from_sidecar: Path | None) -> Path:
    import deepdream_utils as dd

    if from_sidecar is not None:
        return from_sidecar.with_name(from_sidecar.stem + "_rerun.jpg")
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


def dream_from_parameters(parameters: dict[str, Any], output: Path, progress: bool = True) -> dict[str, Any]:
    """Runs one recorded dream, saves the picture and its sidecar; returns the sidecar."""
    import deepdream_utils as dd

    output = dd.check_save_suffix(output)  # before the dream, not after it
    if parameters["image"]:
        source = Path(parameters["image"])
        if output.resolve() == source.resolve():
            raise ValueError(f"Refusing to overwrite the start image '{source}': choose another -o.")
        start = dd.load_image(source, max_side=parameters["max_side"])
    else:
        width, height = parameters["noise"]
        start = dd.noise_image(width, height, seed=parameters["seed"])
    dm = dd.dream_model(parameters["layers"], weights=parameters["weights"], channel=parameters["channel"])
    started = time.perf_counter()
    result, history = dd.dream_octaves(
        dm, start, octaves=parameters["octaves"], octave_scale=parameters["octave_scale"],
        steps_per_octave=parameters["steps"], step_size=parameters["step_size"], tile_size=parameters["tile_size"],
        reinject_detail=parameters["detail"], seed=parameters["seed"], progress=progress)
    seconds = time.perf_counter() - started
    dd.save_image(result, output)
    sidecar = {
        "parameters": parameters,
        "input_sha256": hashlib.sha256(Path(parameters["image"]).read_bytes()).hexdigest()
        if parameters["image"] else None,
        "weights": "bundled ImageNet InceptionV3, float16, up to mixed7 (" + dd.BUNDLED_WEIGHTS.name + ")"
        if parameters["weights"] == "bundled" else "Keras's ImageNet InceptionV3 download",
        "versions": _versions(),
        "output": str(output),
        "size": [int(result.shape[1]), int(result.shape[0])],
        "steps_done": len(history),
        "final_loss": history[-1] if history else None,
        "seconds": round(seconds, 2),
    }
    text = json.dumps(sidecar, indent=2) + "\n"
    dd._write_atomically(output.with_suffix(".json"), lambda file: file.write(text.encode()))
    return sidecar


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        parameters = _parameters(args, parser)
        output = args.output or _default_output(parameters, args.from_sidecar)
        sidecar = dream_from_parameters(parameters, output, progress=not args.quiet)
    except (ValueError, FileNotFoundError, MemoryError, OSError, FloatingPointError) as error:
        print(f"deepdream: error: {error}", file=sys.stderr)
        return 1
    print(f"saved {output} and {output.with_suffix('.json')} ({sidecar['steps_done']} steps, "
          f"{sidecar['seconds']:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
