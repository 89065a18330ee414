"""Reading and writing pictures safely, for the DeepDream suite (no TensorFlow needed).

* ``load_image``: any image Pillow reads (16-bit and float too) as float32 RGB in [0, 1],
  optionally shrunk to a longest side; clear errors for missing, empty, corrupt or huge files.
* ``noise_image``: seeded grey noise.
* ``check_output_path``: before any work, that a result can be saved where asked.
* ``save_image``, ``save_figure``, ``save_animation``, ``save_sidecar``, ``save_result``: atomic
  writes that leave no temporary or half-written file, whatever happens (an error, a full disk,
  Ctrl-C, SIGTERM: see ``signals_held``), and never replace an input image, a course image, or a
  file this suite did not write (unless ``overwrite=True``).

``deepdream_utils`` re-exports all of these, so notebooks only ever import ``deepdream_utils as dd``.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, PngImagePlugin, UnidentifiedImageError

REPO_ROOT = Path(__file__).resolve().parent
IMAGES_DIR = REPO_ROOT / "images"
OUTPUTS_DIR = Path(os.environ.get("DEEPDREAM_OUTPUTS") or REPO_ROOT / "outputs")
SAVE_SUFFIXES = (".jpg", ".jpeg", ".png")
LARGEST_UNSCALED_PIXELS = 40_000_000  # larger images need load_image(..., max_side=...)
SUITE_MARK = "deepdream-suite"  # written into every picture and sidecar this suite saves
_HIGH_DEPTH_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")  # Pillow modes beyond 8 bits
_IMAGE_SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF87a", "GIF"),
                     (b"GIF89a", "GIF"), (b"BM", "BMP"), (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"))
_INPUT_PATHS: set[Path] = set()  # images read by load_image; never overwritten


# --------------------------------------------------------------------------- checks


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name} must be a positive whole number, got {value!r}.")
    return int(value)


def _positive_float(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive number, got {value!r}.") from None
    if isinstance(value, bool) or not math.isfinite(number) or number <= 0:
        raise ValueError(f"{name} must be a positive, finite number, got {value!r}.")
    return number


def _seed(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"seed must be a whole number of at least 0, got {value!r}.")
    return int(value)


def _check_image(image: Any) -> np.ndarray:
    """Returns ``image`` as float32 (H, W, 3) in [0, 1], or raises a clear ValueError."""
    array = np.asarray(image, dtype=np.float32)
    if array.ndim != 3 or array.shape[2] != 3 or min(array.shape[:2]) < 1:
        raise ValueError(
            f"Expected an RGB image of shape (height, width, 3), got shape {array.shape}. "
            "Use load_image() or noise_image() to make one.")
    if not np.isfinite(array).all():
        raise ValueError("The image contains NaN or infinite values; start again from load_image().")
    low, high = float(array.min()), float(array.max())
    if low < -1e-3 or high > 1 + 1e-3:
        if low >= -1 - 1e-3 and high <= 1 + 1e-3:
            hint = "It looks like a model image in [-1, 1]: use from_model() to convert it back."
        elif low >= 0 and high <= 255:
            hint = "It looks like 0-255 pixel values: divide it by 255."
        else:
            hint = "Rescale it to [0, 1]."
        raise ValueError(f"Image values must lie in [0, 1], got [{low:.3g}, {high:.3g}]. {hint}")
    return np.clip(array, 0.0, 1.0)


# --------------------------------------------------------------------------- image I/O


def _gray_unit_range(img: Image.Image) -> np.ndarray:
    """A high-bit-depth grey image (16-bit, 32-bit integer or float) as float32 in [0, 1]."""
    gray = np.asarray(img, dtype=np.float32)
    if img.mode == "F":
        return np.clip(gray, 0.0, 1.0)
    # Pillow opens 16-bit PNGs as "I": treat them as 16-bit unless every value fits 8 bits
    return np.clip(gray / (65535.0 if img.mode != "I" or gray.max() > 255 else 255.0), 0.0, 1.0)


def _rgb_array(img: Image.Image) -> np.ndarray:
    """Converts an 8-bit Pillow image of any mode to float32 RGB in [0, 1] (alpha on white)."""
    if img.mode == "P":
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        background = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, img.convert("RGBA"))
    return np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0


def _decoded(img: Image.Image, max_side: int | None) -> np.ndarray:
    """The pixels of a loaded image as float32 RGB in [0, 1], shrunk to ``max_side`` if given.

    High-bit-depth images are shrunk as floats, so they keep their full range.
    """
    scale = 1.0 if max_side is None else min(1.0, max_side / max(img.size))
    size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    if img.mode in _HIGH_DEPTH_MODES:
        gray = _gray_unit_range(img)
        if size != img.size:
            gray = np.clip(np.asarray(Image.fromarray(gray).resize(size, Image.LANCZOS)), 0.0, 1.0)
        return np.repeat(gray[:, :, None], 3, axis=2)
    if size != img.size:
        if img.mode not in ("RGB", "RGBA", "L", "LA"):
            img = img.convert("RGBA" if "A" in img.getbands() else "RGB")
        img = img.resize(size, Image.LANCZOS)
    return _rgb_array(img)


def _image_kind(head: bytes) -> str | None:
    """The image format a file's first bytes announce (``"PNG"``, ``"JPEG"``...), or None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    return next((kind for signature, kind in _IMAGE_SIGNATURES if head.startswith(signature)), None)


def load_image(path: str | os.PathLike, max_side: int | None = None) -> np.ndarray:
    """Loads any image Pillow opens as float32 RGB in [0, 1], shape (H, W, 3).

    Grayscale, palette, RGBA (composited on white), CMYK, 16-bit, float and EXIF-rotated
    files are all handled. The file is only read, never changed, and ``save_image``
    refuses to overwrite it for the rest of the session.

    Args:
        path: the image file.
        max_side: if given, shrink the image so that its longest side is at most this.
    """
    path = Path(path)
    if max_side is not None:
        max_side = _positive_int("max_side", max_side)
    if not path.exists():
        raise FileNotFoundError(
            f"No image at '{path}'. Check the path (the suite's images are in {IMAGES_DIR}).")
    if path.is_dir():
        raise ValueError(f"'{path}' is a folder, not an image file.")
    if path.stat().st_size == 0:
        raise ValueError(f"'{path}' is empty (0 bytes): copy the image again.")
    with open(path, "rb") as file:
        head = file.read(16)
    array = _decode(path, f"'{path}'", head, max_side, None)
    _INPUT_PATHS.add(path.resolve())
    return array


def decode_image(data: bytes, name: str = "the upload", max_side: int | None = None,
                 max_pixels: int = LARGEST_UNSCALED_PIXELS) -> np.ndarray:
    """Decodes an image file's bytes (an upload) as ``load_image`` loads a file.

    Args:
        data: the whole file.
        name: what the error messages call it.
        max_side: if given, shrink the image so that its longest side is at most this.
        max_pixels: refuse images with more pixels than this, even with ``max_side``.
    """
    if max_side is not None:
        max_side = _positive_int("max_side", max_side)
    if not data:
        raise ValueError(f"{name} is empty (0 bytes): choose the image file again.")
    return _decode(io.BytesIO(data), name, data[:16], max_side, max_pixels)


def _decode(source: Path | io.BytesIO, label: str, head: bytes, max_side: int | None,
            max_pixels: int | None) -> np.ndarray:
    """Opens and decodes an image, turning every way it can fail into one clear ValueError or MemoryError."""
    try:
        with Image.open(source) as img:
            pixels = img.width * img.height
            if max_side is None and pixels > LARGEST_UNSCALED_PIXELS:
                raise MemoryError(
                    f"{label} is {img.width}x{img.height} pixels ({pixels / 1e6:.0f} M): too large to dream "
                    f"in memory at full size (about {pixels * 12 / 1e9:.1f} GB as float32 before any dreaming). "
                    "Pass a longest side, for example load_image(path, max_side=4000).")
            if max_pixels is not None and pixels > max_pixels:
                raise MemoryError(f"{label} is {img.width}x{img.height} pixels ({pixels / 1e6:.0f} M), more than "
                                  f"the {max_pixels / 1e6:.0f} M pixels allowed: shrink it with an image editor first.")
            if max_side is not None and img.format == "JPEG":
                img.draft(None, (max_side, max_side))  # decode at a reduced scale: far less memory
            img.load()
            return _decoded(ImageOps.exif_transpose(img), max_side)
    except UnidentifiedImageError:
        kind = _image_kind(head)
        if kind:
            raise ValueError(f"{label} starts like a {kind} file but is corrupt and cannot be decoded: "
                             "export or copy it again.") from None
        raise ValueError(
            f"{label} is not an image Pillow can read (JPEG, PNG, WebP, BMP, TIFF, ...). "
            "Is it really an image file?") from None
    except Image.DecompressionBombError as error:
        raise ValueError(
            f"{label} has more pixels than Pillow's decompression-bomb limit allows ({error}). "
            "Such a file may be an attack, so the limit stays on: if you trust it, shrink it with an "
            "image editor first (to at most 8000 pixels a side, say), then load it here.") from None
    except (OSError, SyntaxError) as error:
        raise ValueError(f"{label} is truncated or corrupt and cannot be decoded ({error}).") from None


def noise_image(width: int, height: int, seed: int = 0, contrast: float = 0.1) -> np.ndarray:
    """Seeded grey noise: 0.5 plus uniform noise of +-``contrast``, float32 (H, W, 3)."""
    width, height = _positive_int("width", width), _positive_int("height", height)
    contrast = _positive_float("contrast", contrast)
    rng = np.random.default_rng(_seed(seed))
    noise = rng.uniform(-contrast, contrast, size=(height, width, 3))
    return np.clip(0.5 + noise, 0.0, 1.0).astype(np.float32)


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
    if resolved in _INPUT_PATHS:
        raise ValueError(
            f"Refusing to overwrite '{path}': it is an input image. Save the result under another name.")
    if resolved.is_relative_to(IMAGES_DIR.resolve()) and resolved.exists():
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


def _write_atomically(path: str | os.PathLike, write: Callable[[Any], None], overwrite: bool = False,
                      suffixes: Sequence[str] = SAVE_SUFFIXES) -> Path:
    """Calls ``write(file)`` on a hidden temporary file beside ``path``, then renames it to ``path``.

    Checked first by ``check_output_path``. Whatever goes wrong (an error, a full disk, Ctrl-C,
    SIGTERM), no temporary file and no half-written file is left under ``path``; a signal that
    arrives during the write takes effect once the file is complete.
    """
    path = check_output_path(path, suffixes, overwrite)
    path.parent.mkdir(parents=True, exist_ok=True)
    with signals_held():
        handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
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
    return Image.fromarray(np.round(_check_image(image) * 255.0).astype(np.uint8))


def _write_jpeg(picture: Image.Image, file: Any, quality: int) -> None:
    picture.save(file, format="JPEG", quality=int(quality), optimize=True, comment=SUITE_MARK)


def jpeg_bytes(image: np.ndarray, quality: int = 90) -> bytes:
    """A [0, 1] image encoded as a JPEG file in memory (as ``save_image`` writes it), marked as this suite's."""
    buffer = io.BytesIO()
    _write_jpeg(_to_pixels(image), buffer, quality)
    return buffer.getvalue()


def save_image(image: np.ndarray, path: str | os.PathLike, quality: int = 90, overwrite: bool = False) -> Path:
    """Saves a [0, 1] image as JPEG or PNG (chosen by suffix) and returns the path.

    The folder is created if needed and the write is atomic (see ``_write_atomically``).
    The file is marked as written by this suite, so a later run may replace it; any other
    existing file needs ``overwrite=True``, and input and course images are never replaced.

    Args:
        image: float (H, W, 3) in [0, 1].
        path: ends in .jpg, .jpeg or .png.
        quality: JPEG quality, 1 to 100.
        overwrite: replace an existing file that this suite did not write.
    """
    if isinstance(quality, bool) or not isinstance(quality, (int, np.integer)) or not 1 <= quality <= 100:
        raise ValueError(f"quality must be a whole number from 1 to 100, got {quality!r}.")
    picture = _to_pixels(image)
    if Path(path).suffix.lower() == ".png":
        info = PngImagePlugin.PngInfo()
        info.add_text("Software", SUITE_MARK)
        return _write_atomically(path, lambda file: picture.save(file, format="PNG", optimize=True, pnginfo=info),
                                 overwrite)
    return _write_atomically(path, lambda file: _write_jpeg(picture, file, quality), overwrite)


def save_sidecar(data: Mapping[str, Any], path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Saves a JSON sidecar (a result's record) atomically, marked as written by this suite."""
    text = json.dumps({"written_by": SUITE_MARK, **data}, indent=2) + "\n"
    return _write_atomically(path, lambda file: file.write(text.encode("utf-8")), overwrite, (".json",))


def save_animation(frames: Sequence[np.ndarray], path: str | os.PathLike, fps: float = 12.0,
                   overwrite: bool = False) -> Path:
    """Saves [0, 1] frames as a looping animation (atomically); returns the path.

    By suffix: ``.gif`` (64 colours) or ``.webp`` (lossy, quality 80: full colour, several times smaller).
    """
    if not frames:
        raise ValueError("No frames to save.")
    duration = round(1000 / _positive_float("fps", fps))
    if Path(path).suffix.lower() == ".webp":
        pictures = [_to_pixels(frame) for frame in frames]
        return _write_atomically(path, lambda file: pictures[0].save(
            file, format="WEBP", save_all=True, append_images=pictures[1:], duration=duration, loop=0, quality=80,
            method=6, xmp=f"<x:xmpmeta><rdf:Description>{SUITE_MARK}</rdf:Description></x:xmpmeta>".encode()),
            overwrite, (".gif", ".webp"))
    pictures = [_to_pixels(frame).quantize(colors=64, method=Image.Quantize.MEDIANCUT) for frame in frames]
    return _write_atomically(path, lambda file: pictures[0].save(
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
    return _write_atomically(path, lambda file: fig.savefig(file, format=fmt, dpi=dpi, **extra), overwrite)


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
