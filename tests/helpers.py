"""Small helpers several test files share: running the command line, making pictures and clips, and
looking for what a failed write could leave behind."""

import hashlib
import signal
import subprocess
import sys
from pathlib import Path

import imageio_ffmpeg
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def run_cli(*args, cwd=ROOT, **kwargs) -> subprocess.CompletedProcess:
    """``python -m deepdream_utils ARGS``: the command line, as a student runs it, in a fresh process."""
    return subprocess.run([sys.executable, "-m", "deepdream_utils", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300, **kwargs)


def run_python(code: str, timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
    """``python -c CODE`` in a fresh process (to see, say, which modules an import loads)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, **kwargs)


def leftovers(folder: Path) -> list[str]:
    """Hidden files in ``folder``: what a write that was not atomic would leave."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def gradient_rgb(width: int = 40, height: int = 30) -> np.ndarray:
    """A uint8 RGB picture with a different colour at every pixel."""
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([x * 255 // (width - 1), y * 255 // (height - 1), np.full_like(x, 128)],
                    axis=-1).astype(np.uint8)


def grey_ramp_16_bit(path: Path) -> Path:
    """A 16-bit grey PNG from black to white (300x200)."""
    Image.fromarray(np.linspace(0, 65535, 60000).reshape(200, 300).astype(np.uint16)).save(path)
    return path


def ffmpeg(*args) -> None:
    subprocess.run([FFMPEG, "-v", "error", "-y", *map(str, args)], check=True, capture_output=True, timeout=120)


def streams(path: Path) -> tuple[dict, list[np.ndarray]]:
    """A video's metadata and its frames (uint8 RGB), as ffmpeg reads them."""
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    frames = [np.frombuffer(f, np.uint8).reshape(meta["size"][1], meta["size"][0], 3).copy() for f in reader]
    return meta, frames


def with_ctrl_c() -> None:
    """``preexec_fn`` for a child that will get SIGINT: Ctrl-C's default handling, as in a terminal.

    A shell starts background jobs with SIGINT ignored, and children inherit that; a test run started
    so (``make test &``) would otherwise see a child that cannot be interrupted.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
