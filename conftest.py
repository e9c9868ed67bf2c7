"""Report what each lesson costs: the wall time of its notebook's tests (nbval), summed per notebook.

At the end of a run that executed notebooks, pytest prints one line per
notebook and the total, so that every ``make test`` measures again how long
the whole course takes to run on the machine at hand.
"""

from __future__ import annotations

from collections import defaultdict

_SECONDS: dict[str, float] = defaultdict(float)


def pytest_runtest_logreport(report) -> None:
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        _SECONDS[path] += report.duration  # setup, call and teardown of each cell


def pytest_terminal_summary(terminalreporter) -> None:
    if not _SECONDS:
        return
    terminalreporter.section("lesson times: wall seconds of every notebook's cells (nbval)")
    for path, seconds in sorted(_SECONDS.items()):
        terminalreporter.write_line(f"{path:45s} {seconds:7.1f} s")
    total = sum(_SECONDS.values())
    terminalreporter.write_line(f"{len(_SECONDS)} notebooks: {total:.0f} s = {total / 60:.1f} min")
