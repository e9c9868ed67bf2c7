"""What each lesson costs to run: ``book/lesson_times.csv`` and the lesson table of ``book/intro.md``.

Usage: python tools/lesson_times.py        (rewrite the intro's "CPU time" column from the CSV)

``tools/execute_notebooks.py`` calls :func:`record` after every lesson it
re-executes, so the CSV holds, per notebook, its last in-place run: the
wall time, the CPU seconds of its kernel (user + system over all threads,
so on 2 cores it can exceed the wall time) and the machine's 1-minute load
average at the end. CPU seconds are the figure shown: unlike the wall
clock they barely change when other jobs share the machine.
"""

from __future__ import annotations

import csv
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CSV = ROOT / "book" / "lesson_times.csv"
INTRO = ROOT / "book" / "intro.md"
COLUMNS = ["notebook", "wall_s", "cpu_s", "load", "executed"]
# a row of the intro's lesson table: "| 5 | [DCGAN](../notebooks/05_dcgan.ipynb) | 3.1 min | ... |"
ROW = re.compile(r"^\| [^|]+ \| \[[^]]+\]\(\.\./notebooks/(?P<stem>[^)]+)\.ipynb\) \| (?P<cpu>[^|]*) \|")


def read(path: Path | None = None) -> dict[str, dict]:
    """notebook stem -> its row (numbers as floats)."""
    path = CSV if path is None else path
    if not path.exists():
        return {}
    with path.open(newline="") as f:
        return {
            r["notebook"]: {**r, **{k: float(r[k]) for k in ("wall_s", "cpu_s", "load")}} for r in csv.DictReader(f)
        }


def minutes(cpu_s: float) -> str:
    """How the intro shows a CPU time: minutes to one decimal."""
    return f"{cpu_s / 60:.1f} min"


def record(
    notebook: Path, *, wall_s: float, cpu_s: float, load: float, path: Path | None = None, intro: Path | None = None
) -> None:
    """Store one run of ``notebook`` in ``path`` (replacing its earlier row), then update ``intro``."""
    path, intro = CSV if path is None else path, INTRO if intro is None else intro
    rows = read(path)
    rows[Path(notebook).stem] = {
        "notebook": Path(notebook).stem,
        "wall_s": round(wall_s, 1),
        "cpu_s": round(cpu_s, 1),
        "load": round(load, 1),
        "executed": time.strftime("%Y-%m-%d"),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, COLUMNS)
        w.writeheader()
        w.writerows(rows[k] for k in sorted(rows))
    if intro.exists():
        update_intro(intro, rows)


def update_intro(intro: Path | None = None, rows: dict[str, dict] | None = None) -> int:
    """Rewrite the CPU-time cell of every lesson row of ``intro`` that the CSV has; return how many."""
    intro, rows = INTRO if intro is None else intro, read() if rows is None else rows
    lines, changed = intro.read_text().splitlines(keepends=True), 0
    for i, line in enumerate(lines):
        m = ROW.match(line)
        if m and m["stem"] in rows:
            new = minutes(float(rows[m["stem"]]["cpu_s"]))
            lines[i] = line[: m.start("cpu")] + new + line[m.end("cpu") :]
            changed += 1
    intro.write_text("".join(lines))
    return changed


def intro_times(intro: Path | None = None) -> dict[str, str]:
    """notebook stem -> the CPU time the intro's table shows for it."""
    text = (INTRO if intro is None else intro).read_text()
    return {m["stem"]: m["cpu"] for line in text.splitlines() if (m := ROW.match(line))}


if __name__ == "__main__":
    print(f"{update_intro()} rows of {INTRO.relative_to(ROOT)} updated from {CSV.relative_to(ROOT)}", file=sys.stderr)
