"""The command line: ``deepdream [options] INPUT [options]`` (or ``python -m deepdream``).

Dreams one picture with octaves, random-shift tiles and random transforms (notebook 05's method), saves it,
and writes a JSON sidecar beside it with every parameter, the weights and the library
versions, so that ``--from-sidecar`` can make the same picture again.

    deepdream images/mountain.jpg -o outputs/my_dream.jpg
    deepdream --noise 400x400 --layers mixed3 --octaves 1 --steps 200 --step-size 0.02
    deepdream --noise 480x480 --layers mixed4 --channel 97 --symmetry 6m
    deepdream images/mountain.jpg --mask sky.png   # dream only where sky.png is white
    deepdream --from-sidecar outputs/my_dream.jpg.json -o outputs/again.jpg
    deepdream clip.mp4 -o outputs/clip_dream.mp4   # a video (options anywhere; --video for other suffixes)
    deepdream serve            # the web app and HTTP API on http://127.0.0.1:5000
    deepdream worker --broker redis://HOST:6379/0   # dream the jobs of a `deepdream serve --broker` elsewhere
    deepdream live 0 -o outputs/live.mp4   # the camera dreamed as it films (a file or a stream URL too)
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path
from typing import Any

from deepdream import backbones, files, recipe, runtime
from deepdream.i18n import gettext as _
from deepdream.images import check_image_file, decode_image
from deepdream.paths import OUTPUTS_DIR

_TYPES = {"layers": recipe.parse_layers, "symmetry": recipe.parse_symmetry, int: int, float: float, str: str,
          "path": str}
_METAVARS = {"layers": "L[=W],...", "symmetry": "KIND", "path": "FILE"}


def build_parser() -> argparse.ArgumentParser:
    """The picture dreamer's options: one per recipe field, plus the start, the output and the re-run."""
    parser = runtime.OneLineParser(
        prog="deepdream",
        description=_("Dream a picture (octaves, random-shift tiled gradients, random transforms), save it, and "
                      "write a JSON sidecar that can re-run it. A video as INPUT dreams the video (see --video)."),
        epilog=_("Examples:") + "\n" + _(__doc__.split("\n\n")[2]),  # the examples: one catalog entry
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("image", nargs="?", help=_("start image (any format Pillow reads); or use --noise"))
    parser.add_argument("-o", "--output", type=Path,
                        help=_("result path, .jpg or .png (default: outputs/<name>_dream.jpg); "
                               "the sidecar is written beside it, named after it plus .json"))
    parser.add_argument("--overwrite", action="store_true",
                        help=_("replace an existing output that this tool did not write (never the start image)"))
    parser.add_argument("--noise", type=recipe.parse_size, metavar="WxH",
                        help=_("start from seeded noise of this size"))
    for field in recipe.FIELDS:
        if field.kind is bool:  # the only one: detail, on unless --no-detail
            parser.add_argument(f"--no-{field.name}", dest=field.name, action="store_false", default=None,
                                help=_("do not {help} (default: {default})").format(
                                    help=_(field.help), default=_(field.help.split()[0])))
            continue
        default = ",".join(field.default) if field.kind == "layers" else field.default
        parser.add_argument(f"--{field.name.replace('_', '-')}", type=_TYPES[field.kind], choices=field.choices,
                            metavar=_METAVARS.get(field.kind),
                            help=_("{help} (default: {default})").format(help=_(field.help), default=default))
    parser.add_argument("--from-sidecar", type=Path, metavar="FILE",
                        help=_("re-run the dream recorded in this JSON sidecar (only -o, --overwrite, "
                               "--allow-changed-input and --quiet may be added)"))
    parser.add_argument("--allow-changed-input", action="store_true",
                        help=_("with --from-sidecar: dream even if the start image changed since"))
    parser.add_argument("--video", action="store_true", help=_(
        "INPUT is a video whatever its suffix (a suffix {suffixes} is one already): see deepdream VIDEO --help").format(
        suffixes=", ".join(recipe.VIDEO_SUFFIXES)))
    parser.add_argument("-q", "--quiet", action="store_true", help=_("no progress bar"))
    return parser


def _parameters(args: argparse.Namespace, parser: argparse.ArgumentParser) -> dict[str, Any]:
    given = {key: getattr(args, key) for key in recipe.DREAM_OPTIONS if getattr(args, key) is not None}
    if args.from_sidecar is not None:
        if given:
            parser.error(_("--from-sidecar re-runs a recorded dream; drop {options}").format(
                options=", ".join(sorted(given))))
        return recipe.read_sidecar(args.from_sidecar, args.allow_changed_input)
    if ("image" in given) == ("noise" in given):
        parser.error(_("give a start IMAGE or --noise WxH (one of them)"))
    parameters = {"image": given.get("image"), "noise": given.get("noise")} | recipe.DEFAULTS | given
    if "weights" not in given:  # the backbone's own default (VGG19 has no bundled weights)
        parameters["weights"] = backbones.default_weights(parameters["backbone"])
    if "layers" not in given and parameters["backbone"] != recipe.DEFAULTS["backbone"]:
        parameters["layers"] = dict(backbones.get(parameters["backbone"]).default_layers)
    try:
        return recipe.check_all(parameters)
    except ValueError as error:
        parser.error(str(error))


def _default_output(parameters: dict[str, Any], from_sidecar: Path | None) -> Path:
    if from_sidecar is not None:
        stem = Path(from_sidecar.name.removesuffix(".json")).stem
        return from_sidecar.with_name(stem + "_rerun.jpg")
    return OUTPUTS_DIR / recipe.result_name(parameters)


def dream_from_parameters(parameters: dict[str, Any], output: Path, progress: bool = True,
                          overwrite: bool = False, earlier: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Runs one recorded dream, saves the picture and its sidecar; returns the sidecar.

    Everything that can be checked is checked before the dream: the output and sidecar paths,
    the start image, the layers. Ctrl-C during the dream saves the picture as far as it got
    (the sidecar then says ``"interrupted": true``).

    Args:
        parameters: the recipe (``recipe.check_all``).
        output: the picture's path (the sidecar goes beside it).
        progress: show a progress bar.
        overwrite: replace a file this tool did not write.
        earlier: the steps before this one, when re-making a chain (``recipe.read_chain``): step 1
            starts from its own start, and each step from the one before as the studio saved it.
    """
    first = (earlier or [parameters])[0]
    source = Path(first["image"]) if first["image"] else None  # the start image of the first step
    for given in filter(None, (source, parameters["mask"] and Path(parameters["mask"]))):
        check_image_file(given)  # a missing file is said at once, before TensorFlow loads
        if output.resolve() == given.resolve():
            raise ValueError(_("Refusing to overwrite '{path}', an input of this dream: choose another -o.").format(
                path=given))
    output = files.check_output_path(output, overwrite=overwrite)  # before the dream, not after it
    files.check_output_path(recipe.sidecar_path(output), (".json",), overwrite)
    from deepdream.dream import dream_octaves  # TensorFlow: after every check that can be made without it
    from deepdream.files import save_image, save_sidecar
    from deepdream.model import dream_model
    steps, chain, result = [*(earlier or []), parameters], [], None
    for number, step in enumerate(steps):
        if number == 0:
            start, input_sha256 = _start(step)
        else:  # the step before, as the studio kept it: a JPEG
            saved = files.jpeg_bytes(result)
            start, input_sha256 = decode_image(saved, "The step before", step["max_side"]), _sha256(saved)
        chain.append({"parameters": step, "input_sha256": input_sha256})
        mask = _mask(step, start, source if number == 0 else None)
        dm = dream_model(**recipe.model_arguments(step))
        started = time.perf_counter()
        result, history = dream_octaves(dm, start, progress=progress, mask=mask, **recipe.dream_arguments(step))
        if history.interrupted and number < len(steps) - 1:
            raise KeyboardInterrupt  # an earlier step stopped: nothing to save
    sidecar = recipe.sidecar_record(parameters, input_sha256, result, history, time.perf_counter() - started,
                                    str(output))
    if earlier:
        sidecar["chain"] = chain
    with files.signals_held():  # Ctrl-C here waits until both files are complete
        save_image(result, output, overwrite=overwrite)
        save_sidecar(sidecar, recipe.sidecar_path(output), overwrite=overwrite)
    return sidecar


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _start(parameters: dict[str, Any]) -> tuple[Any, str | None]:
    """A first step's start image and its file's hash (None for noise)."""
    from deepdream.images import load_image, noise_image

    if parameters["image"]:
        source = Path(parameters["image"])
        return load_image(source, max_side=parameters["max_side"]), _sha256(source.read_bytes())
    width, height = parameters["noise"]
    return noise_image(width, height, seed=parameters["seed"]), None


def _mask(parameters: dict[str, Any], start: Any, source: Path | None) -> Any:
    """A step's mask at the size of its start, or None; it must have the size of the start image before shrinking."""
    from deepdream.images import check_mask, load_image

    if not parameters["mask"]:
        return None
    full_size = load_image(source).shape if source is not None else start.shape
    check_mask(load_image(parameters["mask"]), full_size)
    return check_mask(load_image(parameters["mask"], max_side=parameters["max_side"]), start.shape)


def input_argument(argv: list[str], parsers: list[argparse.ArgumentParser]) -> str | None:
    """The first positional argument of ``argv`` (the INPUT), wherever the options stand; None if none.

    An option that takes a value (in any of ``parsers``) skips that value; ``--`` ends the options.
    """
    takes_value = {option for parser in parsers for action in parser._actions if action.nargs != 0
                   for option in action.option_strings}
    arguments = iter(argv)
    for argument in arguments:
        if argument == "--":
            return next(arguments, None)
        if argument in takes_value:
            next(arguments, None)
        elif not argument.startswith("-") or argument == "-":
            return argument
    return None


def is_video(argv: list[str]) -> bool:
    """Whether the command dreams a video: ``--video``, or an INPUT with a video suffix, anywhere in ``argv``."""
    from deepdream import video

    if "--video" in argv:
        return True
    found = input_argument(argv, [build_parser(), video.build_parser()])
    return found is not None and Path(found).suffix.lower() in recipe.VIDEO_SUFFIXES


def main(argv: list[str] | None = None) -> int:
    """Runs the command line; returns the exit status (0, 1 bad input, 2 bad arguments, 130/143 stopped).

    ``deepdream serve [options]`` starts the web app instead (``deepdream.web.server``), ``deepdream worker
    --broker URL`` a dreamer for a server on another machine, ``deepdream live SOURCE`` a live dream, and a video as
    INPUT dreams the video (``deepdream.video.main``).
    """
    runtime.quiet_tensorflow_logs()
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["serve"]:
        from deepdream.web import server

        return server.main(argv[1:])
    if argv[:1] == ["worker"]:
        from deepdream.web import server

        return server.worker_main(argv[1:])
    if argv[:1] == ["live"]:
        from deepdream import live_command

        return live_command.main(argv[1:])
    if is_video(argv):
        from deepdream import video

        return video.main([arg for arg in argv if arg != "--video"])
    parser = build_parser()
    args = parser.parse_args(argv)
    with runtime.one_line_warnings("deepdream"), runtime.sigterm_as_interrupt() as stop:
        return _run(args, parser, stop)


def _run(args: argparse.Namespace, parser: argparse.ArgumentParser, stop: runtime.Stop) -> int:
    try:
        parameters = _parameters(args, parser)
        output = args.output or _default_output(parameters, args.from_sidecar)
        earlier = recipe.read_chain(args.from_sidecar, True)[:-1] if args.from_sidecar is not None else []
        sidecar = dream_from_parameters(parameters, output, progress=not args.quiet, overwrite=args.overwrite,
                                        earlier=earlier)
    except (ValueError, FileNotFoundError, MemoryError, OSError, FloatingPointError) as error:
        print(f"deepdream: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("deepdream: " + _("stopped. Any file saved above is complete; nothing is half-written."),
              file=sys.stderr)
        return stop.exit_status
    print(_("saved {picture} and {sidecar} ({steps} steps, {seconds:.1f} s)").format(
        picture=output, sidecar=recipe.sidecar_path(output), steps=sidecar["steps_done"], seconds=sidecar["seconds"]))
    if sidecar["interrupted"]:
        print("deepdream: " + _("interrupted: the picture above is the dream as far as it got."), file=sys.stderr)
        return stop.exit_status
    return 0


if __name__ == "__main__":
    sys.exit(main())
