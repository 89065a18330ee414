"""Same seed, same picture? Counts the distinct pictures that repeated runs make: prints, asserts nothing.

    python benchmarks/check_reproducible.py        # (or `make reproducible`) about 5 minutes on 2 cores
    python benchmarks/check_reproducible.py --runs 20

Prints, for the command line `deepdream --noise 200x200 --layers mixed3 --octaves 2 --steps 10`
run in fresh processes (new thread pools, memory layout and hash seed each time):
  * with TensorFlow as the suite starts it (oneDNN's kernels off) and with them switched on
    (`TF_ENABLE_ONEDNN_OPTS=1`; TensorFlow alone turns them on only on CPUs with AVX-512 VNNI, BF16
    or AMX), each also two processes side by side (threads competing for the cores);
  * the number of distinct pictures, and the largest difference from the first, in grey levels;
and, in one process, `dream_octaves` on the mountain three times: the distinct pictures.
Run it alone: other work beside it changes only the time, never a correct answer.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
COMMAND = ["--noise", "200x200", "--layers", "mixed3", "--octaves", "2", "--steps", "10", "-q"]


def cli_runs(folder: Path, runs: int, env: dict[str, str], side_by_side: bool = False) -> list[np.ndarray]:
    """Runs the command ``runs`` times (in pairs when ``side_by_side``) and returns the pictures."""
    outputs = [folder / f"run{index}.png" for index in range(runs)]
    batch = 2 if side_by_side else 1
    for start in range(0, runs, batch):
        processes = [subprocess.Popen([sys.executable, "-m", "deepdream.cli", *COMMAND, "-o", str(output)],
                                      cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE, text=True)
                     for output in outputs[start:start + batch]]
        for process in processes:
            _, error = process.communicate(timeout=600)
            if process.returncode:
                raise SystemExit(f"the command failed: {error.strip()}")
    return [np.asarray(Image.open(output), np.int16) for output in outputs]


def summary(pictures: list[np.ndarray]) -> str:
    distinct = len({hashlib.sha256(picture.tobytes()).hexdigest() for picture in pictures})
    largest = max(int(np.abs(picture - pictures[0]).max()) for picture in pictures)
    return f"{distinct} distinct of {len(pictures)}, largest difference {largest} grey levels"


def in_process() -> str:
    sys.path.insert(0, str(ROOT))
    import deepdream_utils as dd

    dm = dd.dream_model({"mixed3": 1.0, "mixed5": 1.0})
    image = dd.load_image(dd.IMAGES_DIR / "mountain.jpg", max_side=400)
    pictures = [dd.dream_octaves(dm, image, octaves=3, steps_per_octave=5, tile_size=256, progress=False)[0]
                for _ in range(3)]
    return summary([np.round(picture * 255).astype(np.int16) for picture in pictures])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=6, help="processes per setting (default: 6)")
    args = parser.parse_args()
    cpuinfo = Path("/proc/cpuinfo")
    flags = re.search(r"^flags\s*:(.*)$", cpuinfo.read_text(), re.M) if cpuinfo.exists() else None
    flags = set(flags.group(1).split()) if flags else set()
    isa = [name for name in ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile") if name in flags]
    print(f"machine: {os.cpu_count()} CPU cores, {', '.join(isa) or 'no AVX2'}; "
          f"TF_ENABLE_ONEDNN_OPTS={os.environ.get('TF_ENABLE_ONEDNN_OPTS', 'unset')}")
    print(f"deepdream {' '.join(COMMAND)}, {args.runs} fresh processes each:")
    # The suite starts TensorFlow with oneDNN off unless TF_ENABLE_ONEDNN_OPTS says otherwise (runtime.tensorflow).
    other = "0" if os.environ.get("TF_ENABLE_ONEDNN_OPTS") == "1" else "1"
    settings = [("as the suite starts TensorFlow", {}, False), (f"TF_ENABLE_ONEDNN_OPTS={other}", {
        "TF_ENABLE_ONEDNN_OPTS": other}, False), ("two processes side by side", {}, True),
        (f"TF_ENABLE_ONEDNN_OPTS={other}, two side by side", {"TF_ENABLE_ONEDNN_OPTS": other}, True)]
    with tempfile.TemporaryDirectory() as folder:
        for index, (name, env, side_by_side) in enumerate(settings):
            runs = Path(folder) / str(index)
            runs.mkdir()
            print(f"  {name:30s} {summary(cli_runs(runs, args.runs, env, side_by_side))}", flush=True)
    print(f"dream_octaves on the mountain, 3 times in one process: {in_process()}")


if __name__ == "__main__":
    main()
