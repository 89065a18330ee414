"""Writing the suite's files safely: pictures, figures, animations, sidecars, and anything else.

* ``check_output_path``: before any work, that a result can be saved where asked.
* ``write_atomically``: the one writer of every file the suite saves (pictures, sidecars, videos,
  frames): a hidden temporary file beside the target, renamed when complete, so that whatever happens
  (an error, a full disk, Ctrl-C, SIGTERM: see ``signals_held``) no temporary or half-written file is left.
* ``save_image``, ``save_figure``, ``save_animation``, ``save_sidecar``, ``save_result``, ``jpeg_bytes``.

Nothing replaces an input image, a course image, or a file this suite did not write (unless
``overwrite=True``): every file written here carries ``SUITE_MARK``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, PngImagePlugin

from deepdream import checks
from deepdream.images import INPUT_PATHS, check_image
from deepdream.paths import OUTPUTS_DIR, PROTECTED_DIRS

SAVE_SUFFIXES = (".jpg", ".jpeg", ".png")
SUITE_MARK = "deepdream-suite"  # written into every picture and sidecar this suite saves


def _made_by_suite(path: Path) -> bool:
    """Whether ``path`` is a picture or sidecar this suite wrote (it carries ``SUITE_MARK``)."""
    try:
        if path.suffix.lower() == ".json":
            return json.loads(path.read_text(encoding="utf-8")).get("written_by") == SUITE_MARK
        if path.suffix.lower() == ".mp4":  # a video's comment tag, read by the ffmpeg imageio-ffmpeg bundles
            import imageio_ffmpeg

            tags = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path), "-f",
                                   "ffmetadata", "-"], capture_output=True, text=True, timeout=60).stdout
            return f"comment={SUITE_MARK}" in tags.splitlines()
        with Image.open(path) as img:
            mark = img.info.get("comment") or img.info.get("Software") or ""
            if img.format == "WEBP":
                return f">{SUITE_MARK}<".encode() in (img.info.get("xmp") or b"")
    except (OSError, ValueError, SyntaxError, AttributeError, subprocess.SubprocessError):
        return False
    return (mark.decode("utf-8", "replace") if isinstance(mark, bytes) else str(mark)) == SUITE_MARK


def check_output_path(path: str | os.PathLike, suffixes: Sequence[str] = SAVE_SUFFIXES,
                      overwrite: bool = False) -> Path:
    """Checks that a result can be saved at ``path`` before any work is done; returns it as a Path.

    Never allowed: an image read by ``load_image`` in this session, or an existing file in
    ``images/``. An existing file that this suite did not write needs ``overwrite=True``.

    Args:
        path: where the result will go.
        suffixes: the suffixes allowed (lower case, with the dot).
        overwrite: replace an existing file even if this suite did not write it.

    Raises:
        ValueError: wrong suffix, an input or course image, or a folder at ``path``.
        FileExistsError: ``path`` exists, was not written by this suite, and ``overwrite`` is False.
        NotADirectoryError, PermissionError: the folder cannot be made or written.
    """
    path = Path(path)
    if path.suffix.lower() not in suffixes:
        raise ValueError(f"Cannot save '{path}': use one of the suffixes {', '.join(suffixes)}.")
    resolved = path.resolve()
    if resolved in INPUT_PATHS:
        raise ValueError(
            f"Refusing to overwrite '{path}': it is an input image. Save the result under another name.")
    if any(resolved.is_relative_to(folder.resolve()) for folder in PROTECTED_DIRS) and resolved.exists():
        raise ValueError(f"Refusing to overwrite '{path}': it is one of the course's images. "
                         "Save results in outputs/ or another folder.")
    if path.is_dir():
        raise ValueError(f"Cannot save '{path}': it is a folder. Give a file name, for example '{path / 'dream.jpg'}'.")
    if path.exists() and not overwrite and not _made_by_suite(path):
        raise FileExistsError(
            f"'{path}' already exists and was not written by this suite: choose another name, or pass "
            "overwrite=True (--overwrite on the command line) to replace it.")
    folder = next(p for p in (resolved.parent, *resolved.parent.parents) if p.exists())
    if not folder.is_dir():
        raise NotADirectoryError(f"Cannot save '{path}': '{folder}' is a file, not a folder.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(f"Cannot save '{path}': the folder '{folder}' cannot be written "
                              "(read-only, or not yours). Choose another folder.")
    return path


@contextlib.contextmanager
def signals_held():
    """Holds back Ctrl-C and SIGTERM while a file is written, and delivers them once it is complete.

    A second signal does not wait: it aborts the write at once (the caller removes the partial file).
    Only the main thread can handle signals; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def hold(signum, frame):
        if received:
            raise KeyboardInterrupt if signum == signal.SIGINT else SystemExit(128 + signum)
        received.append(signum)

    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(signum)
        if handler is not None:  # None: installed outside Python, cannot be restored
            previous[signum] = signal.signal(signum, hold)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if received:
        signal.raise_signal(received[0])  # now, to the handler that was there before


def write_atomically(path: str | os.PathLike, write: Callable[[Any], None], overwrite: bool = False,
                     suffixes: Sequence[str] = SAVE_SUFFIXES, to_path: bool = False) -> Path:
    """Calls ``write(file)`` on a hidden temporary file beside ``path``, then renames it to ``path``.

    Checked first by ``check_output_path``. Whatever goes wrong (an error, a full disk, Ctrl-C,
    SIGTERM), no temporary file and no half-written file is left under ``path``; a signal that
    arrives during the write takes effect once the file is complete.

    Args:
        path: the file to write.
        write: writes the content, given an open binary file (or its path, with ``to_path``).
        overwrite: replace an existing file that this suite did not write.
        suffixes: the suffixes allowed for ``path``.
        to_path: give ``write`` the temporary file's path (for a program such as ffmpeg that writes
            it; the name ends in ``.tmp``, so name the format explicitly).
    """
    path = check_output_path(path, suffixes, overwrite)
    path.parent.mkdir(parents=True, exist_ok=True)
    with signals_held():
        handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            if to_path:
                os.close(handle)
                write(Path(temp_name))
            else:
                with os.fdopen(handle, "wb") as file:
                    write(file)
            os.chmod(temp_name, 0o666 & ~_current_umask())  # mkstemp makes it private; use the usual mode
            os.replace(temp_name, path)
        except BaseException as error:
            Path(temp_name).unlink(missing_ok=True)
            if isinstance(error, OSError):
                raise OSError(f"Could not save '{path}': {error.strerror or error}.") from error
            raise
    return path


def _to_pixels(image: np.ndarray) -> Image.Image:
    return Image.fromarray(np.round(check_image(image) * 255.0).astype(np.uint8))


def _write_jpeg(picture: Image.Image, file: Any, quality: int, optimize: bool = True) -> None:
    picture.save(file, format="JPEG", quality=int(quality), optimize=optimize, comment=SUITE_MARK)


def jpeg_bytes(image: np.ndarray, quality: int = 90, max_side: int | None = None, optimize: bool = True) -> bytes:
    """A picture encoded as a JPEG file in memory, marked as this suite's: the suite's one JPEG encoder (the saved
    dreams, the web's results, previews and thumbnails, the live frames).

    Args:
        image: a [0, 1] float image (as ``save_image`` writes it), or uint8 pixels (a camera's frame).
        quality: JPEG quality, 1-95.
        max_side: shrink to at most this longest side first (a preview, a thumbnail); None keeps the size.
        optimize: Huffman tables tuned to the picture (smaller, slower); False for live frames and previews.
    """
    picture = Image.fromarray(image) if image.dtype == np.uint8 else _to_pixels(image)
    if max_side is not None:
        picture.thumbnail((max_side, max_side), Image.BILINEAR)
    buffer = io.BytesIO()
    _write_jpeg(picture, buffer, quality, optimize)
    return buffer.getvalue()


def save_image(image: np.ndarray, path: str | os.PathLike, quality: int = 90, overwrite: bool = False) -> Path:
    """Saves a [0, 1] image as JPEG or PNG (chosen by suffix) and returns the path.

    The folder is created if needed and the write is atomic (see ``write_atomically``).
    The file is marked as written by this suite, so a later run may replace it; any other
    existing file needs ``overwrite=True``, and input and course images are never replaced.

    Args:
        image: float (H, W, 3) in [0, 1].
        path: ends in .jpg, .jpeg or .png.
        quality: JPEG quality, 1 to 100.
        overwrite: replace an existing file that this suite did not write.
    """
    checks.whole("quality", quality, 1, 100)
    picture = _to_pixels(image)
    if Path(path).suffix.lower() == ".png":
        info = PngImagePlugin.PngInfo()
        info.add_text("Software", SUITE_MARK)
        return write_atomically(path, lambda file: picture.save(file, format="PNG", optimize=True, pnginfo=info),
                                 overwrite)
    return write_atomically(path, lambda file: _write_jpeg(picture, file, quality), overwrite)


def save_sidecar(data: Mapping[str, Any], path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Saves a JSON sidecar (a result's record) atomically, marked as written by this suite."""
    text = json.dumps({"written_by": SUITE_MARK, **data}, indent=2) + "\n"
    return write_atomically(path, lambda file: file.write(text.encode("utf-8")), overwrite, (".json",))


def save_animation(frames: Sequence[np.ndarray], path: str | os.PathLike, fps: float = 12.0,
                   overwrite: bool = False) -> Path:
    """Saves [0, 1] frames as a looping animation (atomically); returns the path.

    By suffix: ``.gif`` (64 colours) or ``.webp`` (lossy, quality 80: full colour, several times smaller).
    """
    if not frames:
        raise ValueError("No frames to save.")
    duration = round(1000 / checks.positive_float("fps", fps))
    if Path(path).suffix.lower() == ".webp":
        pictures = [_to_pixels(frame) for frame in frames]
        return write_atomically(path, lambda file: pictures[0].save(
            file, format="WEBP", save_all=True, append_images=pictures[1:], duration=duration, loop=0, quality=80,
            method=6, xmp=f"<x:xmpmeta><rdf:Description>{SUITE_MARK}</rdf:Description></x:xmpmeta>".encode()),
            overwrite, (".gif", ".webp"))
    pictures = [_to_pixels(frame).quantize(colors=64, method=Image.Quantize.MEDIANCUT) for frame in frames]
    return write_atomically(path, lambda file: pictures[0].save(
        file, format="GIF", save_all=True, append_images=pictures[1:], duration=duration, loop=0, optimize=True,
        comment=SUITE_MARK), overwrite, (".gif", ".webp"))


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def save_figure(fig, path: str | os.PathLike, dpi: int = 80, overwrite: bool = False) -> Path:
    """Saves a matplotlib Figure as JPEG or PNG (by suffix, atomically, as ``save_image``); returns the path."""
    fmt = "png" if Path(path).suffix.lower() == ".png" else "jpeg"
    extra = ({"metadata": {"Software": SUITE_MARK}} if fmt == "png"
             else {"pil_kwargs": {"quality": 85, "optimize": True, "comment": SUITE_MARK}})
    return write_atomically(path, lambda file: fig.savefig(file, format=fmt, dpi=dpi, **extra), overwrite)


def save_result(result: Any, name: str, fps: float = 10.0) -> Path:
    """Saves a notebook's result in ``OUTPUTS_DIR`` by file name and prints where; returns the path.

    Args:
        result: an image (saved by ``save_image``), a matplotlib Figure (``save_figure``) or a
            list of frames (``save_animation``, for a ``.gif`` or ``.webp`` name).
        name: the file name, for example ``"01_noise_mixed3.jpg"``.
        fps: frames per second, for an animation.
    """
    if hasattr(result, "savefig"):
        path = save_figure(result, OUTPUTS_DIR / name)
    elif isinstance(result, (list, tuple)):
        path = save_animation(result, OUTPUTS_DIR / name, fps=fps)
    else:
        path = save_image(result, OUTPUTS_DIR / name)
    print(f"saved outputs/{path.name}" + (f" ({len(result)} frames)" if isinstance(result, (list, tuple)) else ""))
    return path
