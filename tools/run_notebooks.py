"""Executes the notebooks top to bottom and saves them with their outputs (`make dreams`).

First each notebook is brought in step with its py:percent twin (`jupytext --sync`: the newer of
the two wins), so an edit made in either is kept. Each notebook then runs in notebooks/ with the
current Python's kernel, as nbval runs it, and is saved with clean diffs in mind: no timing
metadata, the cell ids it already has, and stream outputs merged the way Jupyter shows them
(progress-bar updates collapse to their last state, which carries no timings). Re-running an
unchanged notebook therefore changes only its pictures.

    python tools/run_notebooks.py                      # all notebooks
    python tools/run_notebooks.py notebooks/03_*.ipynb # some
"""

from __future__ import annotations

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
    start = time.perf_counter()
    NotebookClient(notebook, kernel_name="python3", timeout=1200, record_timing=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
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
    paths = [Path(p).resolve() for p in sys.argv[1:]] or sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    sync(paths)
    total = sum(run(path) for path in paths)
    sync(paths)  # the twins' timestamps follow the rewritten notebooks, as Jupyter expects
    print(f"all {len(paths)} notebooks: {total:.0f} s")


if __name__ == "__main__":
    main()
