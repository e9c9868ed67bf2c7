"""The lessons' measured CPU times (book/lesson_times.csv) and the intro's table that shows them."""

from __future__ import annotations

import sys

import nbformat
import pytest
from conftest import NOTEBOOKS, ROOT

sys.path.insert(0, str(ROOT / "tools"))
import execute_notebooks  # noqa: E402
import lesson_times  # noqa: E402


def test_every_lesson_has_a_measured_time_and_the_intro_shows_it():
    rows = lesson_times.read()
    assert sorted(rows) == sorted(p.stem for p in NOTEBOOKS), "re-run tools/execute_notebooks.py on the missing ones"
    shown = lesson_times.intro_times()
    assert sorted(shown) == sorted(rows), "book/intro.md's lesson table must list every notebook"
    for stem, row in rows.items():
        assert shown[stem] == lesson_times.minutes(row["cpu_s"]), f"{stem}: run python tools/lesson_times.py"
        assert 0 < row["cpu_s"] and 0 < row["wall_s"]


def test_record_replaces_a_row_and_rewrites_only_that_cell(tmp_path):
    csv, intro = tmp_path / "t.csv", tmp_path / "intro.md"
    intro.write_text(
        "| # | lesson | CPU time | needs | what |\n|---|---|---|---|---|\n"
        "| 1 | [One](../notebooks/01_one.ipynb) | – | nothing | a |\n"
        "| 2 | [Two](../notebooks/02_two.ipynb) | 9.9 min | digits | b |\n"
    )
    lesson_times.record(
        ROOT / "notebooks" / "01_one.ipynb", wall_s=80.04, cpu_s=150.0, load=1.26, path=csv, intro=intro
    )
    lesson_times.record(ROOT / "notebooks" / "01_one.ipynb", wall_s=60.0, cpu_s=93.0, load=0.5, path=csv, intro=intro)
    rows = lesson_times.read(csv)
    assert list(rows) == ["01_one"] and (rows["01_one"]["wall_s"], rows["01_one"]["cpu_s"]) == (60.0, 93.0)
    assert lesson_times.intro_times(intro) == {"01_one": "1.6 min", "02_two": "9.9 min"}  # 93 s = 1.55 min
    assert intro.read_text().splitlines()[2] == "| 1 | [One](../notebooks/01_one.ipynb) | 1.6 min | nothing | a |"


@pytest.mark.slow
def test_execute_measures_the_kernels_cpu_time(tmp_path, monkeypatch):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import time\nt = time.process_time()\nwhile time.process_time() - t < 1.5: pass")
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "notebooks" / "03_busy.ipynb"
    path.parent.mkdir()
    nbformat.write(nb, path)
    monkeypatch.setattr(lesson_times, "CSV", tmp_path / "times.csv")
    monkeypatch.setattr(lesson_times, "INTRO", tmp_path / "intro.md")
    execute_notebooks.execute(path)
    row = lesson_times.read(tmp_path / "times.csv")["03_busy"]
    assert 1.5 <= row["cpu_s"] < 1.5 + 10 and row["wall_s"] >= 1.5
    written = nbformat.read(path, as_version=4)
    assert len(written.cells) == 1 and "resource" not in "".join(c.source for c in written.cells)
