"""Executes the notebooks top to bottom and saves them with their outputs (`make dreams`).

First each notebook is brought in step with its py:percent twin (`jupytext --sync`: the newer of
the two wins), so an edit made in either is kept. Each notebook then runs in notebooks/ with the
current Python's kernel, as nbval runs it, and is saved with clean diffs in mind: no timing
metadata, the cell ids it already has, and stream outputs merged the way Jupyter shows them
(progress-bar updates collapse to their last state, which carries no timings). Re-running an
unchanged notebook therefore changes only its pictures.

The Chinese renderings (``notebooks/zh_CN/``, made from the English ones by ``python -m deepdream.translations``)
run after them, each in its own folder, with their results in ``outputs/zh_CN/`` (``DEEPDREAM_OUTPUTS``), so
that they never overwrite the English pictures the README's gallery shows.

    python tools/run_notebooks.py                      # all notebooks, English then Chinese
    python tools/run_notebooks.py notebooks/03_*.ipynb # some
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbval.plugin import coalesce_streams

ROOT = Path(__file__).resolve().parents[1]
MAX_NOTEBOOK_BYTES = 2_000_000


def sync(paths: list[Path]) -> None:
    """Brings each notebook and its .py twin in step (jupytext keeps the outputs and cell ids)."""
    subprocess.run([sys.executable, "-m", "jupytext", "--sync", "--quiet", *map(str, paths)], check=True)


def run(path: Path) -> float:
    notebook = nbformat.read(path, as_version=4)
    language = notebook.metadata.get("language")  # a rendering's (notebooks/zh_CN/); None: the English source
    before = os.environ.get("DEEPDREAM_OUTPUTS")
    if language:
        os.environ["DEEPDREAM_OUTPUTS"] = str(ROOT / "outputs" / language)
    start = time.perf_counter()
    try:
        NotebookClient(notebook, kernel_name="python3", timeout=1200, record_timing=False,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    finally:
        os.environ.pop("DEEPDREAM_OUTPUTS", None)
        if before is not None:
            os.environ["DEEPDREAM_OUTPUTS"] = before
    seconds = time.perf_counter() - start
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = coalesce_streams(cell.outputs)
            cell.metadata.pop("execution", None)  # timings an older run may have left
    nbformat.write(notebook, path)
    size = path.stat().st_size
    print(f"{path.relative_to(ROOT)}: {seconds:.0f} s, {size / 1e6:.2f} MB", flush=True)
    if size > MAX_NOTEBOOK_BYTES:
        sys.exit(f"{path.name} is larger than {MAX_NOTEBOOK_BYTES / 1e6:.0f} MB: shrink its figures")
    return seconds


def main() -> None:
    paths = [Path(p).resolve() for p in sys.argv[1:]] or [*sorted((ROOT / "notebooks").glob("[0-9]*.ipynb")),
                                                           *sorted((ROOT / "notebooks" / "zh_CN").glob("[0-9]*.ipynb"))]
    english = [path for path in paths if path.parent == ROOT / "notebooks"]  # the ones with a .py twin
    if english:
        sync(english)
    if len(english) < len(paths):  # the renderings from the English as it now is, outputs of unchanged cells kept
        subprocess.run([sys.executable, "-m", "deepdream.translations"], check=True)
    total = sum(run(path) for path in paths)
    if english:
        sync(english)  # the twins' timestamps follow the rewritten notebooks, as Jupyter expects
    print(f"all {len(paths)} notebooks: {total:.0f} s")


if __name__ == "__main__":
    main()
