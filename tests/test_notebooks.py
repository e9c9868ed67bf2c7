"""Conventions every lesson notebook keeps (see the course's style guide).

nbval executes the notebooks themselves (``pytest notebooks/``); these tests
check how they are written and committed. That a lesson runs alone in a
folder outside the repository, as it does on Colab, is tests/test_colab_sim.py's
check (from the wheel, in a fresh venv, with no files written beside it).
"""

from __future__ import annotations

import json
import re
import sys

import pytest
import yaml
from conftest import NOTEBOOKS, ROOT

sys.path.insert(0, str(ROOT / "tools"))
from execute_notebooks import WIDGET_STATE, WIDGET_VIEW, freeze_progress_bars, progress_bar_text  # noqa: E402

ALLOWED_TAGS = {
    "parameters",
    "injected-parameters",
    "nbval-ignore-output",
    "nbval-check-output",
    "nbval-skip",
    "raises-exception",
    "hide-input",
    "hide-output",
    "hide-cell",
    "remove-input",
    "remove-output",
    "remove-cell",
}
MACHINE_PATH = re.compile(r"(/home/|/Users/|/work/|/tmp/|/root/|/opt/|site-packages|[A-Za-z]:\\\\)")
# Data and weights come from gan_helpers, never from files next to the notebook.
FILE_READ = re.compile(r"(\.\./|torch\.load\(|np\.load\(|read_csv\(|open\(\s*['\"])")


def load(path):
    return json.loads(path.read_text())


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def src(cell):
    return "".join(cell["source"])


def tags(cell):
    return set(cell.get("metadata", {}).get("tags", []))


def repo_url():
    return yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]


ids = [p.name for p in NOTEBOOKS]


def test_there_are_lessons():
    assert NOTEBOOKS, "no notebooks found under notebooks/"


def test_every_lesson_is_in_the_table_of_contents():
    toc = (ROOT / "_toc.yml").read_text()
    for nb in NOTEBOOKS:
        assert f"notebooks/{nb.stem}" in toc, f"{nb.name} is missing from _toc.yml"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_kernelspec_and_title(path):
    nb = load(path)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    first = nb["cells"][0]
    number = int(path.name.split("_")[0])
    assert first["cell_type"] == "markdown" and src(first).startswith(f"# {number}. "), "first cell: '# N. Title'"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_first_code_cell_is_setup_that_installs_from_the_repository(path):
    setup = src(code_cells(load(path))[0])
    assert 'find_spec("gan_helpers") is None' in setup
    assert f"git+{repo_url()}" in setup, "the setup cell must pip-install from the repository URL in _config.yml"
    assert "import gan_helpers" in setup or "from gan_helpers import" in setup


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_second_code_cell_holds_the_parameters_and_an_explicit_seed(path):
    cells = code_cells(load(path))
    params = cells[1]
    assert tags(params) == {"parameters"}, "the second code cell must be tagged 'parameters' (papermill)"
    assert re.search(r"^seed = \d+", src(params), re.M), "parameters must set an explicit integer seed"
    assert sum("parameters" in tags(c) for c in cells) == 1
    assert any("seed_everything(seed)" in src(c) for c in cells)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_committed_with_outputs_executed_in_order(path):
    cells = [c for c in code_cells(load(path)) if src(c).strip()]
    counts = [c["execution_count"] for c in cells]
    assert counts == list(range(1, len(cells) + 1)), f"execute top to bottom in one kernel (make execute): {counts}"
    assert sum(bool(c["outputs"]) for c in cells) >= len(cells) // 2, "outputs are missing"
    errors = [c for c in cells for o in c["outputs"] if o["output_type"] == "error"]
    assert not errors, "a committed cell shows an error"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_claims_are_asserted(path):
    assert any(re.search(r"^\s*assert ", src(c), re.M) for c in code_cells(load(path)))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_tags_are_known(path):
    for cell in load(path)["cells"]:
        unknown = tags(cell) - ALLOWED_TAGS
        assert not unknown, f"unknown tag(s) {unknown} (typo?)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_no_machine_paths_and_no_file_reads(path):
    for i, cell in enumerate(load(path)["cells"]):
        assert not MACHINE_PATH.search(src(cell)), f"cell {i}: absolute path in the source"
        if cell["cell_type"] != "code":
            continue
        assert not FILE_READ.search(src(cell)), f"cell {i}: reads a file; data and weights come from gan_helpers"
        for out in cell["outputs"]:
            text = "".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", ""))
            text += "".join(out.get("traceback", []))
            assert not MACHINE_PATH.search(text), f"cell {i}: a machine path in a committed output"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_notebook_stays_small(path):
    size = path.stat().st_size
    assert size < 5_000_000, f"{path.name} is {size / 1e6:.1f} MB; use fewer animation frames or a lower dpi"


def _model(name, **state):
    return {"model_name": name, "model_module": "@jupyter-widgets/controls", "state": state}


def _notebook_with_a_bar_and_a_slider():
    state = {
        "box": _model(
            "HBoxModel", children=["IPY_MODEL_left", "IPY_MODEL_bar", "IPY_MODEL_right"], layout="IPY_MODEL_lay"
        ),
        "left": _model("HTMLModel", value="training:\u2007100%", style="IPY_MODEL_sty"),
        "bar": _model("FloatProgressModel", value=40.0, max=40.0, layout="IPY_MODEL_lay2"),
        "right": _model("HTMLModel", value="\u200740/40\u2007[00:01&lt;00:00]"),
        "lay": _model("LayoutModel"),
        "lay2": _model("LayoutModel"),
        "sty": _model("HTMLStyleModel"),
        "slider": _model("FloatSliderModel", value=1.0, layout="IPY_MODEL_lay3"),
        "lay3": _model("LayoutModel"),
    }
    view = lambda mid: {
        "output_type": "display_data",
        "metadata": {},
        "data": {WIDGET_VIEW: {"model_id": mid, "version_major": 2, "version_minor": 0}, "text/plain": "0%"},
    }
    cell = {
        "cell_type": "code",
        "source": "",
        "metadata": {},
        "execution_count": 1,
        "outputs": [view("box"), view("slider")],
    }
    return {
        "cells": [cell],
        "metadata": {"widgets": {WIDGET_STATE: {"state": state, "version_major": 2, "version_minor": 0}}},
    }


def test_freeze_progress_bars_keeps_the_final_line_and_other_widgets():
    nb = _notebook_with_a_bar_and_a_slider()
    assert freeze_progress_bars(nb) == 1
    bar, slider = nb["cells"][0]["outputs"]
    assert bar["data"] == {"text/plain": "training: 100%|██████████| 40/40 [00:01<00:00]"}
    assert WIDGET_VIEW in slider["data"]  # the slider is left alone
    assert set(nb["metadata"]["widgets"][WIDGET_STATE]["state"]) == {"slider", "lay3"}
    assert freeze_progress_bars(nb) == 0  # idempotent


def test_freeze_progress_bars_drops_the_widget_metadata_when_nothing_is_left():
    nb = _notebook_with_a_bar_and_a_slider()
    nb["cells"][0]["outputs"].pop()  # no slider output
    del nb["metadata"]["widgets"][WIDGET_STATE]["state"]["slider"]
    del nb["metadata"]["widgets"][WIDGET_STATE]["state"]["lay3"]
    nb["metadata"]["widgets"][WIDGET_STATE]["state"]["bar"]["state"]["value"] = 10.0  # an interrupted bar
    assert freeze_progress_bars(nb) == 1
    assert "|██        |" in nb["cells"][0]["outputs"][0]["data"]["text/plain"]  # a quarter done: 2 of 10 blocks
    assert "widgets" not in nb["metadata"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_progress_bars_are_committed_as_text(path):
    """Re-execute lessons with tools/execute_notebooks.py: it turns finished progress bars into text."""
    nb = load(path)
    state = nb.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in code_cells(nb):
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get(WIDGET_VIEW)
            assert not view or progress_bar_text(state, view["model_id"]) is None, src(cell)[:80]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_label_smoothing_is_called_by_its_name(path):
    """The literature's name is (one- or two-sided) label smoothing; `label_easing` survives only as a preset name in code."""
    for i, cell in enumerate(load(path)["cells"]):
        if cell["cell_type"] == "markdown":
            prose = re.sub(r"`[^`]*`", "", src(cell))
            assert "label easing" not in prose.lower(), f"cell {i}: say 'two-sided label smoothing'"


def test_lesson_0_diagram_is_the_one_its_script_draws(tmp_path):
    """book/figures/gan_loop.svg is committed; redrawn now, it must carry the same labels in the same order."""
    sys.path.insert(0, str(ROOT / "book" / "figures"))
    import gan_loop
    from svg_figure import texts as _svg_texts

    committed = (ROOT / "book" / "figures" / "gan_loop.svg").read_text()
    fresh = gan_loop.save(tmp_path / "gan_loop.svg").read_text()
    assert _svg_texts(committed) == _svg_texts(fresh), "re-run: python book/figures/gan_loop.py"
    labels = " ".join(_svg_texts(committed))
    for label in (
        "generator",
        "discriminator",
        "real sample",
        "synthetic sample",
        "P(real)",
        "G learns from D's gradient",
    ):
        assert label in labels, label
    page = (ROOT / "book" / "why_two_networks.md").read_text()
    assert "figures/gan_loop.svg" in page, "lesson 0 must show the diagram"


def test_svg_texts_reads_labels_back():
    sys.path.insert(0, str(ROOT / "book" / "figures"))
    from svg_figure import texts as _svg_texts

    svg = '<svg><text x="1">generator <tspan>$G$</tspan></text><g><text>P(real)</text></g></svg>'
    assert _svg_texts(svg) == ["generator $G$", "P(real)"]
