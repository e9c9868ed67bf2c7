"""Every citation of the course has an entry in book/references.bib, and that file parses.

Citations come in two spellings: MyST roles in the lessons' markdown cells and
the book's pages (``{cite}`key```, ``{cite:p}``, ``{cite:t}``, ...), and reST roles
in the docstrings of ``gan_helpers`` (``:cite:p:`key```, ``:cite:t:``), which
the API reference renders. A key missing from the bibliography would only show
up as a warning deep in a book build; this test names the file and the key in
seconds.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from conftest import ROOT
from pybtex.database import parse_file
from pybtex.errors import set_strict_mode
from pybtex.exceptions import PybtexError

BIB = ROOT / "book" / "references.bib"
MYST_CITE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]*)`")
REST_CITE = re.compile(r":cite:[a-z]+:`([^`]*)`")
KEY = re.compile(r"^[a-z]+[0-9]{4}[a-z]+$")  # authorYEARfirstword
UNDATED_KEY = re.compile(r"^[a-z]+_[a-z]+$")  # author_firstword: a source whose note says "date unknown"
ARXIV_ID = re.compile(r"^[0-9]{4}\.[0-9]{4,5}$")


def _keys(text: str, pattern: re.Pattern) -> list[str]:
    return [key.strip() for match in pattern.findall(text) for key in match.split(",") if key.strip()]


def cited_keys(root: Path = ROOT) -> dict[str, set[str]]:
    """Every cite key used, mapped to the files (relative to ``root``) that use it."""
    uses: dict[str, set[str]] = {}

    def add(path: Path, keys: list[str]) -> None:
        for key in keys:
            uses.setdefault(key, set()).add(str(path.relative_to(root)))

    for nb in sorted((root / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            if cell["cell_type"] == "markdown":
                add(nb, _keys("".join(cell["source"]), MYST_CITE))
    pages = sorted((root / "book").rglob("*.md")) + sorted((root / "gan_helpers").rglob("*.md"))
    for page in pages:  # gan_helpers/README.md is part of the book's API reference
        add(page, _keys(page.read_text(encoding="utf-8"), MYST_CITE))
    for module in sorted((root / "gan_helpers").rglob("*.py")):
        add(module, _keys(module.read_text(encoding="utf-8"), REST_CITE))
    return uses


def bib_keys(bib: Path = BIB) -> set[str]:
    """The keys of ``bib``, parsed strictly by pybtex: a syntax error or a repeated key raises."""
    set_strict_mode(True)
    return set(parse_file(str(bib), bib_format="bibtex").entries)


def missing_citations(root: Path = ROOT, bib: Path = BIB) -> list[str]:
    """``file: key`` for every cited key that the bibliography lacks."""
    known = bib_keys(bib)
    return sorted(f"{path}: {key}" for key, paths in cited_keys(root).items() if key not in known for path in paths)


def test_every_cited_key_is_in_the_bibliography():
    missing = missing_citations()
    assert not missing, "cite keys missing from book/references.bib:\n" + "\n".join(missing)


def test_citations_are_collected_from_lessons_pages_and_docstrings():
    uses = cited_keys()
    files = {path for paths in uses.values() for path in paths}
    assert any(f.startswith("notebooks/") for f in files), files
    assert any(f.startswith("gan_helpers/") for f in files), files
    assert "gan_helpers/stats.py" in uses["wilson1927probable"]
    assert "notebooks/01_single_point_gan.ipynb" in uses["goodfellow2014generative"]


def test_bibliography_entries_are_complete():
    set_strict_mode(True)
    entries = parse_file(str(BIB), bib_format="bibtex").entries
    problems = []
    for key, entry in entries.items():
        undated = "year" not in entry.fields and "date unknown" in entry.fields.get("note", "").lower()
        if not (KEY.match(key) or (undated and UNDATED_KEY.match(key))):
            problems.append(f"{key}: key is not authorYEARfirstword (or author_firstword for a source of unknown date)")
        for field in ("title",) if undated else ("title", "year"):
            if field not in entry.fields:
                problems.append(f"{key}: no {field}")
        if not entry.persons.get("author"):
            problems.append(f"{key}: no author")
        elif not undated and entry.fields.get("year", "") not in key:
            problems.append(f"{key}: year {entry.fields.get('year')} is not the key's")
        if "eprint" in entry.fields:
            if not ARXIV_ID.match(entry.fields["eprint"]):
                problems.append(f"{key}: eprint {entry.fields['eprint']!r} is not an arXiv id")
            if entry.fields.get("archivePrefix") != "arXiv":
                problems.append(f"{key}: eprint without archivePrefix = {{arXiv}}")
    assert not problems, "\n".join(problems)


# Free-text references ("Goodfellow et al. (2014)") in docstrings should become
# roles (:cite:t:`goodfellow2014generative`), so that the API reference links them.
# These modules still hold some; take a module off the list once it has none.
FREE_TEXT_PENDING: set[str] = set()
YEAR = re.compile(r"\b(?:19|20)[0-9]{2}\b")


def free_text_references(path: Path, bib: Path = BIB) -> list[str]:
    """``line: text -> key`` for each year in a docstring of ``path`` shortly after the first author of
    a bibliography entry of that year, or after "et al"; a year inside a cite key is no match."""
    first_authors: dict[str, list[tuple[str, str]]] = {}
    for key, entry in parse_file(str(bib), bib_format="bibtex").entries.items():
        if "year" in entry.fields:  # an undated source cannot be cited as "author (year)"
            surname = str(entry.persons["author"][0].last_names[0]).strip("{}")
            first_authors.setdefault(entry.fields["year"], []).append((surname, key))
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        doc = ast.get_docstring(node, clean=False)
        if not doc:
            continue
        for match in YEAR.finditer(doc):
            before = " ".join(doc[max(0, match.start() - 80) : match.start()].split())
            shown = " ".join(doc[max(0, match.start() - 50) : match.end()].split())
            named = [
                (before.rfind(surname), key)
                for surname, key in first_authors.get(match.group(), [])
                if surname in before[-45:]
            ]
            if named or "et al" in before[-12:]:
                line = node.body[0].lineno + doc[: match.start()].count("\n")
                key = max(named)[1] if named else "a new references.bib entry"
                found.append(f"{line}: ...{shown} -> {key}")
    return found


def test_docstrings_cite_bib_keys_instead_of_free_text():
    modules = sorted((ROOT / "gan_helpers").rglob("*.py"))
    problems = []
    for module in modules:
        rel = str(module.relative_to(ROOT))
        found = free_text_references(module)
        if found and rel not in FREE_TEXT_PENDING:
            problems += [f"{rel}:{item}" for item in found]
        if not found and rel in FREE_TEXT_PENDING:
            problems.append(f"{rel} has no free-text reference left: take it off FREE_TEXT_PENDING")
    assert not problems, "write these references as :cite:p:`key` or :cite:t:`key`:\n" + "\n".join(problems)


def test_free_text_references_are_found_with_their_key(tmp_path):
    module = tmp_path / "m.py"
    module.write_text(
        'r"""Losses of Goodfellow et al.\n(2014), as :cite:t:`goodfellow2014generative` wrote.\n\n'
        'Style ``"2014"``; maxout (Goodfellow et al. 2013); noise (Someone et al. 2019)."""\n'
        "def f():\n"
        '    """Label smoothing (Salimans et al. 2016), with Radford among its authors."""\n'
        '    return "Goodfellow et al. 2014 in a string that is no docstring"\n'
    )
    assert free_text_references(module) == [
        "2: ...Losses of Goodfellow et al. (2014 -> goodfellow2014generative",
        '4: ...ote. Style ``"2014"``; maxout (Goodfellow et al. 2013 -> goodfellow2013maxout',
        "4: ...t (Goodfellow et al. 2013); noise (Someone et al. 2019 -> a new references.bib entry",
        "6: ...Label smoothing (Salimans et al. 2016 -> salimans2016improved",
    ]


# The checks above must fail when a key is wrong or the file is broken.


def _course(tmp_path: Path, bib_text: str) -> tuple[Path, Path]:
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "book").mkdir()
    (tmp_path / "gan_helpers").mkdir()
    nb = {
        "cells": [
            {"cell_type": "markdown", "source": ["As in {cite:t}`alpha2001first`.\n"]},
            {"cell_type": "code", "source": ["# {cite}`inside2000code` is not a citation\n"]},
        ]
    }
    (tmp_path / "notebooks" / "01_x.ipynb").write_text(json.dumps(nb))
    (tmp_path / "book" / "page.md").write_text("See {cite}`alpha2001first, beta2002second`.\n")
    (tmp_path / "gan_helpers" / "m.py").write_text('r"""A loss :cite:p:`gamma2003third`."""\n')
    (tmp_path / "gan_helpers" / "README.md").write_text("Adam {cite:p}`alpha2001first`.\n")
    bib = tmp_path / "references.bib"
    bib.write_text(bib_text)
    return tmp_path, bib


ENTRY = "@misc{{{key},\n  title = {{T}},\n  author = {{A, B}},\n  year = {{{year}}}\n}}\n"


def test_a_missing_key_is_named_with_its_file(tmp_path):
    bib_text = ENTRY.format(key="alpha2001first", year=2001) + ENTRY.format(key="beta2002second", year=2002)
    root, bib = _course(tmp_path, bib_text)
    assert missing_citations(root, bib) == ["gan_helpers/m.py: gamma2003third"]
    bib.write_text(bib_text + ENTRY.format(key="gamma2003third", year=2003))
    assert missing_citations(root, bib) == []
    bib.write_text(ENTRY.format(key="gamma2003third", year=2003))
    assert missing_citations(root, bib) == [
        "book/page.md: alpha2001first",
        "book/page.md: beta2002second",
        "gan_helpers/README.md: alpha2001first",
        "notebooks/01_x.ipynb: alpha2001first",
    ]


@pytest.mark.parametrize(
    "broken, message",
    [
        ("@misc{alpha2001first,\n  title = {T,\n  year = {2001}\n}\n", "premature end of file"),  # unbalanced brace
        ("@misc{alpha2001first,\n  title = {T}\n  year = {2001}\n}\n", "'}' expected"),  # no comma between fields
        (
            ENTRY.format(key="alpha2001first", year=2001).rstrip().rstrip("}")
            + "\n"
            + ENTRY.format(key="b2002c", year=2002),
            "'}' expected",
        ),  # an entry left open before the next one
        (ENTRY.format(key="alpha2001first", year=2001) * 2, "repeated bibliography entry: alpha2001first"),
    ],
)
def test_a_malformed_bibliography_fails(tmp_path, broken, message):
    root, bib = _course(tmp_path, broken)
    with pytest.raises(PybtexError, match=re.escape(message)):
        missing_citations(root, bib)
