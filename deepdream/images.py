"""Reading pictures for the DeepDream suite (no TensorFlow): files, uploads, noise, the model's range.

* ``load_image``: any image Pillow reads (16-bit and float too) as float32 RGB in [0, 1],
  optionally shrunk to a longest side; clear errors for missing, empty, corrupt or huge files.
  An image read here is never overwritten by ``files.save_image`` for the rest of the session.
* ``decode_image``: the same for an upload's bytes.
* ``noise_image``: seeded grey noise.
* ``check_image``: an array checked to be a [0, 1] RGB image, with a hint when it is not.
* ``to_model`` / ``from_model``: [0, 1] pictures to and from the dream's working range [-1, 1]
  (every backbone maps that range to its own input inside its model).
* ``octave_shapes``: the sizes of a dream's octaves, smallest first (the web app plans a dream with it
  before any network is loaded).
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from deepdream import checks
from deepdream.i18n import gettext as _
from deepdream.paths import IMAGES_DIR

LARGEST_UNSCALED_PIXELS = 40_000_000  # larger images need load_image(..., max_side=...)
_HIGH_DEPTH_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")  # Pillow modes beyond 8 bits
_IMAGE_SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF87a", "GIF"),
                     (b"GIF89a", "GIF"), (b"BM", "BMP"), (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"))
INPUT_PATHS: set[Path] = set()  # images read by load_image in this process; files.py never overwrites them


def check_image(image: Any) -> np.ndarray:
    """Returns ``image`` as float32 (H, W, 3) in [0, 1], or raises a clear ValueError."""
    array = np.asarray(image, dtype=np.float32)
    if array.ndim != 3 or array.shape[2] != 3 or min(array.shape[:2]) < 1:
        raise ValueError(_(
            "Expected an RGB image of shape (height, width, 3), got shape {shape}. "
            "Use load_image() or noise_image() to make one.").format(shape=array.shape))
    if not np.isfinite(array).all():
        raise ValueError(_("The image contains NaN or infinite values; start again from load_image()."))
    low, high = float(array.min()), float(array.max())
    if low < -1e-3 or high > 1 + 1e-3:
        if low >= -1 - 1e-3 and high <= 1 + 1e-3:
            hint = _("It looks like a model image in [-1, 1]: use from_model() to convert it back.")
        elif low >= 0 and high <= 255:
            hint = _("It looks like 0-255 pixel values: divide it by 255.")
        else:
            hint = _("Rescale it to [0, 1].")
        raise ValueError(_("Image values must lie in [0, 1], got [{low:.3g}, {high:.3g}]. {hint}").format(
            low=low, high=high, hint=hint))
    return np.clip(array, 0.0, 1.0)


def check_mask(mask: Any, shape: Sequence[int]) -> np.ndarray:
    """Returns where to dream as float32 (H, W, 1) in [0, 1] for an image of ``shape``, or raises a clear ValueError.

    The mask scales each step: 1 (white) dreams fully, 0 (black) keeps the picture, and grey between
    makes a soft edge. It may be a path to an image (any format ``load_image`` reads; its grey level
    is used), an (H, W) or (H, W, 1) array, or an RGB image (the mean of its channels).

    Args:
        mask: the mask.
        shape: the image's (height, width, ...): the mask must have its size.
    """
    if isinstance(mask, (str, os.PathLike)):
        mask = load_image(mask)
    array = np.asarray(mask, dtype=np.float32)
    if array.ndim == 3 and array.shape[2] in (1, 3):
        array = array.mean(axis=2)
    if array.ndim != 2:
        raise ValueError(_("Expected a mask of shape (height, width), got shape {shape}: white dreams, "
                           "black keeps the picture.").format(shape=array.shape))
    height, width = int(shape[0]), int(shape[1])
    if array.shape != (height, width):
        raise ValueError(_("The mask is {mask_width}x{mask_height} pixels, the image {width}x{height}: "
                           "paint the mask on the image itself, or resize it to the image's size.").format(
            mask_width=array.shape[1], mask_height=array.shape[0], width=width, height=height))
    if not np.isfinite(array).all() or array.min() < -1e-3 or array.max() > 1 + 1e-3:
        raise ValueError(_("Mask values must lie in [0, 1] (0 keeps the picture, 1 dreams); "
                           "divide 0-255 grey levels by 255."))
    return np.clip(array, 0.0, 1.0)[..., None]


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


def check_image_file(path: str | os.PathLike) -> Path:
    """The path, if a non-empty file is there; else a clear FileNotFoundError or ValueError (before any decoding)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(_("No image at '{path}'. Check the path (the suite's images are in {folder}).")
                                .format(path=path, folder=IMAGES_DIR))
    if path.is_dir():
        raise ValueError(_("'{path}' is a folder, not an image file.").format(path=path))
    if path.stat().st_size == 0:
        raise ValueError(_("'{path}' is empty (0 bytes): copy the image again.").format(path=path))
    return path


def load_image(path: str | os.PathLike, max_side: int | None = None) -> np.ndarray:
    """Loads any image Pillow opens as float32 RGB in [0, 1], shape (H, W, 3).

    Grayscale, palette, RGBA (composited on white), CMYK, 16-bit, float and EXIF-rotated
    files are all handled. The file is only read, never changed, and ``save_image``
    refuses to overwrite it for the rest of the session.

    Args:
        path: the image file.
        max_side: if given, shrink the image so that its longest side is at most this.
    """
    path = check_image_file(path)
    if max_side is not None:
        max_side = checks.positive_int("max_side", max_side)
    with open(path, "rb") as file:
        head = file.read(16)
    array = _decode(path, f"'{path}'", head, max_side, None)
    INPUT_PATHS.add(path.resolve())
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
        max_side = checks.positive_int("max_side", max_side)
    if not data:
        raise ValueError(_("{name} is empty (0 bytes): choose the image file again.").format(name=name))
    return _decode(io.BytesIO(data), name, data[:16], max_side, max_pixels)


def _decode(source: Path | io.BytesIO, label: str, head: bytes, max_side: int | None,
            max_pixels: int | None) -> np.ndarray:
    """Opens and decodes an image, turning every way it can fail into one clear ValueError or MemoryError."""
    try:
        with Image.open(source) as img:
            pixels = img.width * img.height
            if max_side is None and pixels > LARGEST_UNSCALED_PIXELS:
                raise MemoryError(_(
                    "{label} is {width}x{height} pixels ({megapixels:.0f} M): too large to dream "
                    "in memory at full size (about {gigabytes:.1f} GB as float32 before any dreaming). "
                    "Pass a longest side, for example load_image(path, max_side=4000).").format(
                    label=label, width=img.width, height=img.height, megapixels=pixels / 1e6,
                    gigabytes=pixels * 12 / 1e9))
            if max_pixels is not None and pixels > max_pixels:
                raise MemoryError(_("{label} is {width}x{height} pixels ({megapixels:.0f} M), more than the "
                                    "{allowed:.0f} M pixels allowed: shrink it with an image editor first.").format(
                    label=label, width=img.width, height=img.height, megapixels=pixels / 1e6,
                    allowed=max_pixels / 1e6))
            if max_side is not None and img.format == "JPEG":
                img.draft(None, (max_side, max_side))  # decode at a reduced scale: far less memory
            img.load()
            return _decoded(ImageOps.exif_transpose(img), max_side)
    except UnidentifiedImageError:
        kind = _image_kind(head)
        if kind:
            raise ValueError(_("{label} starts like a {kind} file but is corrupt and cannot be decoded: "
                               "export or copy it again.").format(label=label, kind=kind)) from None
        raise ValueError(_(
            "{label} is not an image Pillow can read (JPEG, PNG, WebP, BMP, TIFF, ...). "
            "Is it really an image file?").format(label=label)) from None
    except Image.DecompressionBombError as error:
        raise ValueError(_(
            "{label} has more pixels than Pillow's decompression-bomb limit allows ({error}). "
            "Such a file may be an attack, so the limit stays on: if you trust it, shrink it with an "
            "image editor first (to at most 8000 pixels a side, say), then load it here.").format(
            label=label, error=error)) from None
    except (OSError, SyntaxError) as error:
        raise ValueError(_("{label} is truncated or corrupt and cannot be decoded ({error}).").format(
            label=label, error=error)) from None


def noise_image(width: int, height: int, seed: int = 0, contrast: float = 0.1) -> np.ndarray:
    """Seeded grey noise: 0.5 plus uniform noise of +-``contrast``, float32 (H, W, 3)."""
    width, height = checks.positive_int("width", width), checks.positive_int("height", height)
    contrast = checks.positive_float("contrast", contrast)
    rng = np.random.default_rng(checks.seed(seed))
    noise = rng.uniform(-contrast, contrast, size=(height, width, 3))
    return np.clip(0.5 + noise, 0.0, 1.0).astype(np.float32)




def to_model(image: np.ndarray) -> np.ndarray:
    """Maps a [0, 1] image to the dream's working range [-1, 1]."""
    return (np.asarray(image, dtype=np.float32) * 2.0 - 1.0).astype(np.float32)


def from_model(x: Any) -> np.ndarray:
    """Maps an image in the working range [-1, 1] back to [0, 1] (a NumPy array or a tensor)."""
    return np.clip((np.asarray(x, dtype=np.float32) + 1.0) / 2.0, 0.0, 1.0)


def octave_shapes(shape: Sequence[int], octaves: int, octave_scale: float,
                  min_side: int = 1) -> list[tuple[int, int]]:
    """Image sizes (height, width) from smallest to ``shape``, each ``octave_scale`` apart.

    Sizes whose shorter side would fall below ``min_side`` are left out.
    """
    height, width = int(shape[0]), int(shape[1])
    sizes = []
    for k in range(octaves - 1, -1, -1):
        size = (round(height / octave_scale**k), round(width / octave_scale**k))
        if min(size) >= min_side:
            sizes.append(size)
    return sizes
