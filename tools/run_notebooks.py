"""Executes the notebooks top to bottom and saves them with their outputs (`make dreams`).

Each notebook runs in notebooks/ with the current Python's kernel, as nbval runs it.
Stream outputs are merged the way Jupyter shows them (progress-bar updates collapse
to their last state), so the saved text is what a grader sees and what nbval compares.

    python tools/run_notebooks.py                      # all notebooks
    python tools/run_notebooks.py notebooks/03_*.ipynb # some
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbval.plugin import coalesce_streams

ROOT = Path(__file__).resolve().parents[1]
MAX_NOTEBOOK_BYTES = 2_000_000


def run(path: Path) -> float:
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(notebook, kernel_name="python3", timeout=1200,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - start
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = coalesce_streams(cell.outputs)
    nbformat.write(notebook, path)
    size = path.stat().st_size
    print(f"{path.relative_to(ROOT)}: {seconds:.0f} s, {size / 1e6:.2f} MB", flush=True)
    if size > MAX_NOTEBOOK_BYTES:
        sys.exit(f"{path.name} is larger than {MAX_NOTEBOOK_BYTES / 1e6:.0f} MB: shrink its figures")
    return seconds


def main() -> None:
    paths = [Path(p).resolve() for p in sys.argv[1:]] or sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    total = sum(run(path) for path in paths)
    print(f"all {len(paths)} notebooks: {total:.0f} s")


if __name__ == "__main__":
    main()
