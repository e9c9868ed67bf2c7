"""The book's API reference has a page for every module of gan_helpers, and the pages are current.

The pages are written by tools/make_api_pages.py; after adding, renaming or
removing a module, run ``python tools/make_api_pages.py`` and commit book/api/. The built pages are checked in tests/test_book.py.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect

import pytest
import yaml
from conftest import ROOT, load_script

COMMAND = "python tools/make_api_pages.py"


def _tool():
    module = load_script("tools/make_api_pages.py")
    return module


def _files_modules() -> set[str]:
    """The package's public modules, from its files alone (independently of the tool's discovery)."""
    names = set()
    for path in (ROOT / "gan_helpers").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if len(parts) > 1 and not any(p.startswith("_") for p in parts[1:]):
            names.add(".".join(parts))
    return names


def test_every_module_has_a_reference_page():
    tool = _tool()
    modules = tool.api_modules()
    assert _files_modules() <= set(modules), _files_modules() - set(modules)
    missing = []
    for name in modules:
        page = ROOT / "book" / "api" / f"{name}.md"
        if not page.is_file() or f".. automodule:: {name}\n   :members:\n" not in page.read_text(encoding="utf-8"):
            missing.append(name)
    assert not missing, f"modules missing from the API reference: {missing}; regenerate it: {COMMAND}"


def test_reference_pages_are_up_to_date():
    problems = _tool().differences()
    assert not problems, "\n".join(problems) + f"\nregenerate the API reference: {COMMAND}"


def test_index_lists_every_module():
    tool = _tool()
    index = (ROOT / "book" / "api" / "index.md").read_text(encoding="utf-8")
    if (ROOT / "gan_helpers" / "README.md").is_file():
        assert "```{include} ../../gan_helpers/README.md\n" in index
    else:
        assert ".. automodule:: gan_helpers\n" in index
    for name in tool.api_modules():
        assert f"* :mod:`{name}`\n" in index, name


def test_reference_pages_are_in_the_toc_under_reference():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    part = next(p for p in toc["parts"] if p["caption"] == "Reference")
    api = next(c for c in part["chapters"] if c.get("file") == "book/api/index")
    assert {"glob": "book/api/gan_helpers.*"} in api["sections"]
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert {"sphinx.ext.autodoc", "sphinx_api_pages"} <= set(config["sphinx"]["config"]["extensions"])
    assert config["sphinx"]["local_extensions"] == {"sphinx_api_pages": "tools"}


def test_the_check_fails_for_a_missing_a_stale_and_a_left_over_page(tmp_path):
    tool = _tool()
    pages = tool.expected_pages()
    copies = {tmp_path / path.name: text for path, text in pages.items()}
    for path, text in copies.items():
        path.write_text(text, encoding="utf-8")
    assert tool.differences(copies, tmp_path) == []
    copies[tmp_path / "gan_helpers.newmodule.md"] = tool.module_page("gan_helpers.newmodule")
    first = sorted(p for p in copies if p.name != "index.md")[0]
    first.write_text("# stale\n", encoding="utf-8")
    (tmp_path / "gan_helpers.oldmodule.md").write_text("# gone\n", encoding="utf-8")
    assert tool.differences(copies, tmp_path) == [
        f"{first}: out of date",
        f"{tmp_path}/gan_helpers.newmodule.md: missing",
        f"{tmp_path}/gan_helpers.oldmodule.md: no module of gan_helpers by that name",
    ]


def test_a_reexported_name_resolves_to_its_own_module():
    pytest.importorskip("sphinx")
    ext = load_script("tools/sphinx_api_pages.py")
    reexports = 0
    for name in _tool().api_modules():
        module = importlib.import_module(name)
        for attr in getattr(module, "__all__", []):
            obj = getattr(module, attr)
            home = getattr(obj, "__module__", None)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)) or not home.startswith("gan_helpers"):
                continue
            expected = None if home == name else f"{home}.{obj.__qualname__}"
            assert ext._home(name, attr) == expected, (name, attr)
            assert ext._home(None, f"{name}.{attr}") == expected, (name, attr)
            reexports += expected is not None
    assert reexports > 0  # the package does re-export names (train: its callbacks and steps)
    assert ext._home("gan_helpers.stats", "no_such_name") is None
