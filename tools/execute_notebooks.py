"""Re-execute lessons in place, top to bottom, so their committed outputs are fresh.

Usage: python tools/execute_notebooks.py notebooks/01_single_point_gan.ipynb [...]

Each notebook runs in its own folder with the ``python3`` kernel; the cell
timing metadata nbclient adds is dropped so that re-running a lesson changes
only what really changed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def execute(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=1200, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    elapsed = time.perf_counter() - start
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)
    return elapsed


def main(paths: list[str]) -> None:
    if not paths:
        sys.exit(__doc__)
    for p in paths:
        print(f"{p}: ran in {execute(Path(p)):.1f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
