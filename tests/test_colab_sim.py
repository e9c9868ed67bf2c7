"""Colab, simulated (tools/colab_sim.py): the wheel holds the whole package, and a lesson runs from it alone.

The full run (a fresh virtual environment with torch, about 3 minutes on two busy cores, most of it
installing torch) is marked slow; `make test` runs it, as CI does. The torch it installs is
``TORCH_SPEC`` from the environment (the weekly run sets ``torch``), else the Makefile's pin.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import zipfile

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import colab_sim  # noqa: E402


def test_the_default_torch_is_the_makefiles_pin():
    pin = re.search(r"^TORCH_SPEC \?= (\S+)$", (ROOT / "Makefile").read_text(), re.M).group(1)
    assert colab_sim.DEFAULT_TORCH == pin


def test_the_package_files_are_every_module_and_every_weights_file():
    files = colab_sim.package_files()
    modules = sorted(p.name for p in (ROOT / "gan_helpers").glob("*.py"))
    weights = sorted(p.name for p in (ROOT / "gan_helpers" / "weights").glob("*.pt"))
    tables = sorted(p.name for p in (ROOT / "gan_helpers" / "tables").glob("*.csv"))
    assert "gan_helpers/__init__.py" in files and weights and tables, "the course ships weights and tables"
    assert files == sorted(
        [f"gan_helpers/{m}" for m in modules]
        + [f"gan_helpers/weights/{w}" for w in weights]
        + [f"gan_helpers/tables/{t}" for t in tables]
    )


def test_the_wheel_holds_the_package_and_its_weights(tmp_path):
    wheel = colab_sim.build_wheel(tmp_path / "work")
    assert colab_sim.missing_from_wheel(wheel) == []
    with zipfile.ZipFile(wheel) as z:
        for name in ("gan_helpers/weights/mnist_classifier.pt", "gan_helpers/pretrained.py"):
            assert z.getinfo(name).file_size == (ROOT / name).stat().st_size
        assert not [n for n in z.namelist() if n.startswith(("tests/", "notebooks/", "tools/"))]


def test_a_wheel_without_package_data_is_caught(tmp_path):
    """Drop the package-data line from a copy of pyproject.toml: the weights are missing, and named."""
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copytree(ROOT / "gan_helpers", root / "gan_helpers", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "README.md", root / "README.md")
    pyproject = (ROOT / "pyproject.toml").read_text()
    line = 'package-data = { gan_helpers = ["weights/*.pt", "tables/*.csv"] }\n'
    assert line in pyproject
    (root / "pyproject.toml").write_text(pyproject.replace(line, ""))
    wheel = colab_sim.build_wheel(tmp_path / "work", root)
    missing = colab_sim.missing_from_wheel(wheel, root)
    assert missing == sorted(
        [f"gan_helpers/weights/{p.name}" for p in (root / "gan_helpers" / "weights").glob("*.pt")]
        + [f"gan_helpers/tables/{p.name}" for p in (root / "gan_helpers" / "tables").glob("*.csv")]
    )


def test_the_environment_of_the_simulation_hides_the_repository(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("JUPYTER_PATH", str(ROOT))
    env = colab_sim.clean_env(tmp_path / "venv", tmp_path / "home")
    assert "PYTHONPATH" not in env and "JUPYTER_PATH" not in env
    assert env["PATH"].split(os.pathsep)[0] == str(tmp_path / "venv" / "bin")
    assert all(not v.startswith(str(ROOT)) for k, v in env.items() if k.startswith(("JUPYTER", "IPYTHON")))


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"lesson": ROOT / "notebooks" / "missing.ipynb"}, "lesson"),
        ({"lesson": ROOT / "README.md"}, "lesson"),
        ({"torch_spec": "numpy"}, "torch_spec"),
        ({"work": ROOT / "lesson_runs" / "sim"}, "work"),
    ],
)
def test_bad_arguments_are_refused_by_name(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        colab_sim.simulate(**kwargs)


def test_a_work_folder_that_is_not_empty_is_refused(tmp_path):
    (tmp_path / "something").write_text("")
    with pytest.raises(ValueError, match="^work must be an empty folder"):
        colab_sim.simulate(work=tmp_path)


@pytest.mark.slow
def test_lesson_1_runs_from_the_wheel_in_a_fresh_venv_outside_the_repository(tmp_path):
    torch_spec = os.environ.get("TORCH_SPEC", colab_sim.DEFAULT_TORCH)
    result = colab_sim.simulate(torch_spec=torch_spec, work=tmp_path / "sim", log=lambda *_: None)
    assert ROOT not in result["work"].parents
    assert str(result["site"]).startswith(str(tmp_path / "sim" / "venv"))
    ran = json.loads(result["output"].read_text())
    code = [c for c in ran["cells"] if c["cell_type"] == "code"]
    assert all(c["execution_count"] for c in code), "every cell ran"
    assert not [o for c in code for o in c["outputs"] if o["output_type"] == "error"]
    assert "pip install" not in "".join("".join(o.get("text", "")) for o in code[0]["outputs"])
    print({k: round(v) for k, v in result["times"].items()})
