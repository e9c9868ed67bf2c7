"""Shared fixtures: the repository root and a book built once per test session."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from filelock import FileLock

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """Build the book with warnings as errors into a temporary folder, once per run.

    ``make test`` runs two workers (pytest-xdist); the first that needs the book
    builds it, and the other waits for that build and reads it.
    """
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # the run's folder
    out, record = shared / "book", shared / "book-build.json"
    with FileLock(str(shared / "book.lock")):
        if record.is_file():
            proc = subprocess.CompletedProcess(**json.loads(record.read_text()))
        else:
            jb = Path(sys.executable).with_name("jupyter-book")
            proc = subprocess.run(
                [str(jb), "build", str(ROOT), "-W", "-n", "--keep-going", "--path-output", str(out)],
                capture_output=True,
                text=True,
                timeout=900,
            )
            fields = ("args", "returncode", "stdout", "stderr")
            record.write_text(json.dumps({k: getattr(proc, k) for k in fields}))
    return out / "_build" / "html", proc


@pytest.fixture
def one_thread():
    """Run a test on one CPU thread (fastest for tiny networks), then restore torch's thread count."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def load_script(path: str | Path, name: str | None = None):
    """Import the script at ``path`` (relative to the repository) as a module, e.g. ``load_script("tools/x.py")``."""
    path = ROOT / path
    spec = importlib.util.spec_from_file_location(name or path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
