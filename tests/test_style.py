"""The code is linted and formatted with ruff, and the lessons' code fits the book's code column.

`ruff check` and `ruff format --check` run over the package, the tools, the benchmarks,
the tests and the notebooks, with the settings of pyproject.toml and notebooks/ruff.toml.
A notebook's code line is at most 88 characters: the width of the book's code column,
so no code scrolls sideways. To fix what these tests find:

    .venv/bin/ruff format gan_helpers tools benchmarks tests notebooks
    .venv/bin/ruff check --fix gan_helpers tools benchmarks tests notebooks
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TARGETS = ["gan_helpers", "tools", "benchmarks", "tests", "notebooks", "book/figures", "conftest.py"]
CODE_COLUMN = 88  # characters; notebooks/ruff.toml sets the same line length
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True, text=True)


def test_ruff_check_passes():
    result = ruff("check", "--no-cache", *TARGETS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_check_passes():
    result = ruff("format", "--check", "--no-cache", *TARGETS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_notebooks_use_the_code_column_width():
    config = (ROOT / "notebooks" / "ruff.toml").read_text()
    assert f"line-length = {CODE_COLUMN}" in config


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_code_fits_the_code_column(path):
    long = []
    for index, cell in enumerate(json.loads(path.read_text())["cells"]):
        if cell["cell_type"] == "code":
            for row, line in enumerate("".join(cell["source"]).split("\n"), start=1):
                if len(line) > CODE_COLUMN:
                    long.append(f"cell {index}, line {row}: {len(line)} characters")
    assert not long, f"{path.name}: code lines wider than {CODE_COLUMN}: {long}"


def test_ruff_finds_a_long_notebook_line(tmp_path):
    """The notebooks' own config applies: a 89-character line in a lesson fails `ruff check`."""
    nb = json.loads(NOTEBOOKS[0].read_text())
    nb["cells"] = [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                    "id": "probe", "source": ["x = " + repr("a" * (CODE_COLUMN - 5)) + "\n", "print(x)\n"]}]  # fmt: skip
    probe = ROOT / "notebooks" / "_style_probe.ipynb"
    probe.write_text(json.dumps(nb))
    try:
        result = ruff("check", "--no-cache", "--select", "E501", str(probe.relative_to(ROOT)))
    finally:
        probe.unlink()
    assert result.returncode == 1 and "E501" in result.stdout, result.stdout + result.stderr
