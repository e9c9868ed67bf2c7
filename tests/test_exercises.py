"""Every lesson ends with exercises in one format, and their solutions ran.

The format (each notebook in ``notebooks/``):

* a ``## Exercises`` heading, and below it ``### Exercise N: <title>``
  headings numbered 1, 2, 3, ... in order;
* at least one code cell tagged ``hide-input`` whose first line starts with
  the word ``# Solution``, followed (after any further solution cells) by a
  visible code cell whose first line starts with ``# Check`` and which holds
  an ``assert``: an exercise the reader implements and checks;
* every ``# Solution`` cell is tagged ``hide-input``, every ``# Check`` cell
  is visible, holds an ``assert`` and was executed;
* every ``# Solution`` cell was executed (it has an execution count) and has
  no error output, so the committed solutions are ones that ran.

``problems(nb)`` lists every breach; the tests below run it on the lessons
and on small hand-made notebooks, one per breach.
"""

from __future__ import annotations

import json
import re

import pytest
from conftest import NOTEBOOKS

EXERCISES = re.compile(r"^## Exercises\s*$", re.MULTILINE)
EXERCISE = re.compile(r"^### Exercise (\d+): \S", re.MULTILINE)
ANY_EXERCISE_HEADING = re.compile(r"^### Exercise\b.*$", re.MULTILINE)
SOLUTION = re.compile(r"# Solution\b")  # "# Solution", "# Solution, continued: ..."
CHECK = re.compile(r"# Check\b")
HIDDEN = {"hide-input", "hide-cell", "remove-input", "remove-cell"}


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _first_line(cell: dict) -> str:
    lines = _source(cell).lstrip("\n").splitlines()
    return lines[0].strip() if lines else ""


def _tags(cell: dict) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def _is_solution(cell: dict) -> bool:
    return cell["cell_type"] == "code" and SOLUTION.match(_first_line(cell)) is not None


def _is_check(cell: dict) -> bool:
    return cell["cell_type"] == "code" and CHECK.match(_first_line(cell)) is not None


def _has_assert(cell: dict) -> bool:
    return any(line.strip().startswith("assert ") for line in _source(cell).splitlines())


def problems(nb: dict) -> list[str]:
    """Every breach of the exercise format in notebook ``nb``, naming the cell."""
    found = []
    cells = nb["cells"]
    markdown = [(i, _source(c)) for i, c in enumerate(cells) if c["cell_type"] == "markdown"]
    starts = [i for i, text in markdown if EXERCISES.search(text)]
    if len(starts) != 1:
        return [f"expected one '## Exercises' heading, found {len(starts)}"]
    start = starts[0]

    numbers = []
    for i, text in markdown:
        for heading in ANY_EXERCISE_HEADING.findall(text):
            m = EXERCISE.match(heading)
            if m is None:
                found.append(f"cell {i}: heading {heading!r} is not '### Exercise N: <title>'")
            elif i < start:
                found.append(f"cell {i}: {heading!r} comes before '## Exercises'")
            else:
                numbers.append(int(m.group(1)))
    if not numbers:
        found.append("no '### Exercise N: ...' heading")
    elif numbers != list(range(1, len(numbers) + 1)):
        found.append(f"exercises numbered {numbers}, expected 1 .. {len(numbers)} in order")

    for i, cell in enumerate(cells):
        if not _is_solution(cell):
            continue
        if i < start:
            found.append(f"cell {i}: a '# Solution' cell before '## Exercises'")
        if "hide-input" not in _tags(cell):
            found.append(f"cell {i}: '# Solution' cell not tagged hide-input")
        if cell.get("execution_count") is None:
            found.append(f"cell {i}: '# Solution' cell was not executed (no execution_count)")
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors:
            found.append(f"cell {i}: '# Solution' cell has an error output ({errors[0].get('ename')})")

    checked = False
    for i, cell in enumerate(cells):
        if not (_is_solution(cell) and "hide-input" in _tags(cell)):
            continue
        j = i + 1  # the next code cell that is not another solution
        while j < len(cells) and (cells[j]["cell_type"] != "code" or _is_solution(cells[j])):
            j += 1
        if j < len(cells) and _is_check(cells[j]) and _has_assert(cells[j]) and not (_tags(cells[j]) & HIDDEN):
            checked = True
    for i, cell in enumerate(cells):
        if _is_check(cell) and i > start:
            if _tags(cell) & HIDDEN:
                found.append(f"cell {i}: a '# Check' cell must be visible, tagged {sorted(_tags(cell) & HIDDEN)}")
            if not _has_assert(cell):
                found.append(f"cell {i}: a '# Check' cell without an assert")
            if cell.get("execution_count") is None:
                found.append(f"cell {i}: '# Check' cell was not executed (no execution_count)")
    if not checked:
        found.append("no hide-input '# Solution' cell followed by a visible '# Check' cell with an assert")
    return found


def _name(path) -> str:
    return path.stem


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_name)
def test_exercises_follow_the_format(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert problems(nb) == []


# ----------------------------------------------------------------------------
# The checker itself, on hand-made notebooks
# ----------------------------------------------------------------------------


def _md(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def _code(text: str, tags=(), count: int | None = 1, outputs=()) -> dict:
    return {
        "cell_type": "code",
        "metadata": {"tags": list(tags)} if tags else {},
        "source": text,
        "execution_count": count,
        "outputs": list(outputs),
    }


def _good() -> list[dict]:
    return [
        _md("# A lesson\n\nText."),
        _code("x = 1"),
        _md("## Exercises\n\nIntro."),
        _md("### Exercise 1: write it\n\nDo it."),
        _code("# Solution\ny = x + 1", tags=["hide-input"]),
        _code("# Check: against the package\nassert y == 2"),
        _md("### Exercise 2: an open question\n\nWhat happens?"),
        _code("# Solution\nprint(y)", tags=["hide-input"]),
        _md("**What it shows.** It prints 2."),
    ]


def test_a_well_formed_notebook_passes():
    assert problems({"cells": _good()}) == []


def test_a_solution_continued_before_the_check_is_allowed():
    cells = _good()
    cells.insert(5, _code("# Solution, continued\nz = y", tags=["hide-input"]))
    assert problems({"cells": cells}) == []


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda c: c.__setitem__(2, _md("## Exercise ideas")), "one '## Exercises' heading"),
        (lambda c: c.__setitem__(6, _md("### Exercise 3: skipped a number")), "numbered [1, 3]"),
        (lambda c: c.__setitem__(6, _md("### Exercise 2 an open question")), "is not '### Exercise N: <title>'"),
        (lambda c: c.insert(1, _md("### Exercise 1: too early")), "before '## Exercises'"),
        (lambda c: c[4]["metadata"].clear(), "not tagged hide-input"),
        (lambda c: c[4].__setitem__("execution_count", None), "was not executed"),
        (
            lambda c: c[7]["outputs"].append({"output_type": "error", "ename": "NameError"}),
            "has an error output (NameError)",
        ),
        (lambda c: c.__setitem__(5, _code("# Check\nprint(y == 2)")), "without an assert"),
        (lambda c: c.__setitem__(5, _code("# Check\nassert y == 2", tags=["hide-input"])), "must be visible"),
        (lambda c: c.__setitem__(5, _code("assert y == 2")), "followed by a visible '# Check'"),
        (lambda c: c.__setitem__(5, _code("# Check\nassert y == 2", count=None)), "'# Check' cell was not executed"),
        (lambda c: c.__setitem__(4, _code("# Solutions\ny = x + 1", tags=["hide-input"])), "followed by a visible"),
        (lambda c: c.insert(1, _code("# Solution\nz = 0", tags=["hide-input"])), "before '## Exercises'"),
    ],
)
def test_each_breach_is_named(edit, message):
    cells = _good()
    edit(cells)
    found = problems({"cells": cells})
    assert any(message in f for f in found), found
