"""Notebooks others can review: git diffs them through nbdime, as the README's Contributing section says.

The nbdime checks run where nbdime is installed (``pip install -e '.[dev]'``); the others always.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

LESSON = "notebooks/01_single_point_gan.ipynb"


def git(*args, cwd, env=None):
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True).stdout


def test_gitattributes_send_notebooks_to_nbdimes_drivers():
    out = git("check-attr", "diff", "merge", "--", LESSON, "notebooks/99_any_new_lesson.ipynb", cwd=ROOT)
    assert out.count(": diff: jupyternotebook") == 2 and out.count(": merge: jupyternotebook") == 2, out
    assert git("check-attr", "diff", "--", "README.md", cwd=ROOT).strip().endswith("unspecified")


def test_the_readme_documents_the_set_up():
    readme = (ROOT / "README.md").read_text()
    section = re.search(r"^## Contributing\n(.*?)(?=^## )", readme, re.S | re.M)
    assert section, "README.md needs a '## Contributing' section"
    text = section.group(1)
    assert "nbdime config-git --enable" in text and ".gitattributes" in text
    assert "pip install -e '.[dev]'" in text and '"nbdime' in (ROOT / "pyproject.toml").read_text()
    assert "5 MB" in text and "tools/set_repo_url.py" in text


def _nbdime() -> Path:
    exe = Path(sys.executable).with_name("nbdime")
    if not exe.exists():
        pytest.skip("nbdime is not installed (pip install -e '.[dev]')")
    return exe


@pytest.fixture
def clone(tmp_path):
    """A repository with the course's .gitattributes and one lesson, committed."""
    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)
    shutil.copy(ROOT / ".gitattributes", repo / ".gitattributes")
    shutil.copy(ROOT / LESSON, repo / LESSON)
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": str(tmp_path / "gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    git("init", "-q", cwd=repo, env=env)
    git("add", ".", cwd=repo, env=env)
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "lesson", cwd=repo, env=env)
    return repo, env


def test_nbdime_config_git_finds_its_attributes_already_there(clone):
    repo, env = clone
    before = (repo / ".gitattributes").read_text()
    subprocess.run([_nbdime(), "config-git", "--enable"], cwd=repo, env=env, check=True, capture_output=True)
    assert (repo / ".gitattributes").read_text() == before, "nbdime appended what .gitattributes should hold"
    assert git("config", "diff.jupyternotebook.command", cwd=repo, env=env).strip() == "git-nbdiffdriver diff"


def test_git_diff_shows_a_changed_parameter_as_a_cell_change(clone):
    repo, env = clone
    subprocess.run([_nbdime(), "config-git", "--enable"], cwd=repo, env=env, check=True, capture_output=True)
    lesson = repo / LESSON
    lesson.write_text(lesson.read_text().replace('"seed = 9 ', '"seed = 8 ', 1))
    out = re.sub(r"\x1b\[[0-9;]*m", "", git("diff", cwd=repo, env=env))  # nbdime colours its diff
    assert re.search(r"## modified /cells/\d+/source:", out), out[:2000]
    assert re.search(r"^-seed = 9 ", out, re.M) and re.search(r"^\+seed = 8 ", out, re.M)
    plain = git("diff", "--no-ext-diff", cwd=repo, env=env)  # git's own diff, as without nbdime: JSON lines
    assert '-    "seed = 9 ' in plain
