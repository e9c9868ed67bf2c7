"""One repository URL: _config.yml, every lesson's setup cell, pyproject.toml and the README agree.

The agreement is read here with code of its own (yaml, tomllib, json), not with
tools/set_repo_url.py's, and the tool is checked against it on copies of those files.
"""

from __future__ import annotations

import collections
import json
import re
import shutil
import subprocess
import sys

import pytest
import yaml
from conftest import ROOT

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    tomllib = pytest.importorskip("tomli")

sys.path.insert(0, str(ROOT / "tools"))
import set_repo_url  # noqa: E402

TOOL = ROOT / "tools" / "set_repo_url.py"
FILES = ["_config.yml", "pyproject.toml", "README.md"]
GITHUB = re.compile(r"https://github\.com/([\w.-]+/[\w.-]+?)(?=[/)\s]|$)")
PAGES = re.compile(r"https://([\w-]+)\.github\.io/([\w.-]+?)/")
COLAB = re.compile(r"https://colab\.research\.google\.com/github/([\w.-]+/[\w.-]+)/blob/([\w.-]+)/")


def course_urls(root) -> dict[str, set[str]]:
    """Each file's copies of the repository URL, written as https://github.com/OWNER/REPO (lower case)."""
    urls = collections.defaultdict(set)
    config = yaml.safe_load((root / "_config.yml").read_text())
    urls["_config.yml"].add(config["repository"]["url"].lower())
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]["urls"]
    urls["pyproject.toml"].add(project["Homepage"].lower())
    owner, repo = PAGES.match(project["Documentation"]).groups()
    urls["pyproject.toml"].add(f"https://github.com/{owner}/{repo}".lower())
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        setup = next(c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")
        found = re.findall(r"git\+(https://github\.com/[^\s\"']+)", "".join(setup["source"]))
        urls[f"notebooks/{path.name}"].update([u.lower() for u in found] or ["(none)"])
    for line in (root / "README.md").read_text().splitlines():
        if line.startswith("[!["):
            urls["README.md"].update(f"https://github.com/{m}".lower() for m in GITHUB.findall(line))
        urls["README.md"].update(f"https://github.com/{o}/{r}".lower() for o, r in PAGES.findall(line))
        urls["README.md"].update(f"https://github.com/{m}".lower() for m, _ in COLAB.findall(line))
    return urls


def disagreement(root) -> str:
    """'' when every place holds one URL; else a message naming each file that differs from the most common one."""
    urls = course_urls(root)
    counts = collections.Counter(u for found in urls.values() for u in found)
    if len(counts) == 1:
        return ""
    usual = counts.most_common(1)[0][0]
    odd = {name: sorted(found - {usual}) for name, found in urls.items() if found != {usual}}
    return "; ".join(f"{name} has {', '.join(u)}" for name, u in odd.items()) + f" (elsewhere: {usual})"


@pytest.fixture
def copy(tmp_path):
    """The files that hold the URL, copied into a folder of the same layout."""
    for name in FILES:
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "notebooks").mkdir()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        shutil.copy(path, tmp_path / "notebooks" / path.name)
    return tmp_path


def test_every_place_holds_the_repository_url_of_config_yml():
    problem = disagreement(ROOT)
    assert not problem, f"{problem}; run: python tools/set_repo_url.py URL"
    want = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    assert set().union(*course_urls(ROOT).values()) == {want.lower()}


def test_every_lesson_and_the_readme_are_covered():
    urls = course_urls(ROOT)
    assert {f"notebooks/{p.name}" for p in (ROOT / "notebooks").glob("*.ipynb")} <= set(urls)
    assert urls["README.md"], "the README's badges link to the repository"


def test_the_readme_badges_name_workflows_that_exist():
    readme = (ROOT / "README.md").read_text()
    badges = re.findall(r"/actions/workflows/([\w.-]+\.yml)/badge\.svg", readme)
    assert {"tests.yml", "book.yml", "latest.yml"} <= set(badges)
    for name in badges:
        assert (ROOT / ".github" / "workflows" / name).is_file(), f"README badge for missing workflow {name}"
    branch = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["branch"]
    assert {b for _, b in COLAB.findall(readme)} == {branch}, "README's Colab link must open the book's branch"


WRONG = "https://github.com/gan-corse/gan-course"


@pytest.mark.parametrize("name", FILES + ["notebooks/03_gan_objective.ipynb"])
def test_a_wrong_url_in_one_place_is_named(copy, name):
    path = copy / name
    text = path.read_text()
    assert "gan-course/gan-course" in text
    path.write_text(text.replace("gan-course/gan-course", "gan-corse/gan-course", 1))
    problem = disagreement(copy)
    assert problem.startswith(f"{name} has {WRONG}"), problem
    if name != "_config.yml":  # the tool compares with its one source
        proc = subprocess.run([sys.executable, TOOL, "--check", "--root", copy], capture_output=True, text=True)
        assert proc.returncode == 1 and proc.stdout.startswith(f"{name}: {WRONG}"), proc.stdout


def test_a_setup_cell_without_the_url_is_named(copy):
    path = copy / "notebooks" / "01_single_point_gan.ipynb"
    path.write_text(path.read_text().replace("git+https://github.com/gan-course/gan-course", "gan_helpers", 1))
    assert disagreement(copy).startswith("notebooks/01_single_point_gan.ipynb has (none)")
    assert set_repo_url.disagreements(copy) == [
        "notebooks/01_single_point_gan.ipynb: no copy of the repository URL https://github.com/gan-course/gan-course"
    ]


NEW = "https://github.com/Some-Owner/my-gan-course"


def _unset(text: str) -> str:
    """Undo NEW in a file's text: what the tool may change is the URL strings and nothing else."""
    return text.replace("Some-Owner/my-gan-course", "gan-course/gan-course").replace(
        "some-owner.github.io/my-gan-course", "gan-course.github.io/gan-course"
    )


def test_set_repo_url_changes_every_place_and_only_the_urls(copy):
    before = {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    proc = subprocess.run([sys.executable, TOOL, NEW, "--root", copy], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert not disagreement(copy)
    assert set().union(*course_urls(copy).values()) == {NEW.lower()}
    assert (
        "https://some-owner.github.io/my-gan-course/" in (copy / "README.md").read_text()
    )  # Pages: owner in lower case
    for path, old in before.items():
        new = path.read_text()
        assert new != old.decode(), f"{path.name} was not changed"
        assert _unset(new) == old.decode(), f"{path.name}: more than the URL changed"
    assert set_repo_url.set_url(NEW, copy) == []  # idempotent
    set_repo_url.set_url("https://github.com/gan-course/gan-course", copy)
    assert {p: p.read_bytes() for p in before} == before  # and back, byte for byte


def test_set_repo_url_covers_a_new_lesson_and_leaves_other_projects_links(copy):
    lesson = copy / "notebooks" / "06_new_lesson.ipynb"
    lesson.write_text(
        (copy / "notebooks" / "01_single_point_gan.ipynb")
        .read_text()
        .replace("gan-course/gan-course", "someone/old-name", 1)
    )
    readme = copy / "README.md"
    readme.write_text(readme.read_text() + "\nSee https://github.com/pytorch/examples for the reference DCGAN.\n")
    assert disagreement(copy).startswith("notebooks/06_new_lesson.ipynb has https://github.com/someone/old-name")
    changed = set_repo_url.set_url(NEW, copy)
    assert "notebooks/06_new_lesson.ipynb" in changed
    assert not disagreement(copy)
    assert "https://github.com/pytorch/examples for" in readme.read_text()


@pytest.mark.parametrize(
    "bad",
    [
        "http://github.com/a/b",
        "https://github.com/a",
        "https://github.com/a/b.git",
        "https://github.com/a/b/",
        "https://gitlab.com/a/b",
        "github.com/a/b",
        "",
    ],
)
def test_set_repo_url_refuses_what_is_not_a_github_repository(copy, bad):
    before = (copy / "_config.yml").read_text()
    with pytest.raises(ValueError, match=r"^url must be .*https://github.com/OWNER/REPO"):
        set_repo_url.set_url(bad, copy)
    assert (copy / "_config.yml").read_text() == before
    proc = subprocess.run([sys.executable, TOOL, bad or "x", "--root", copy], capture_output=True, text=True)
    assert proc.returncode == 2 and "url must be" in proc.stderr


def test_pages_url_is_the_owner_in_lower_case():
    assert set_repo_url.pages_url("https://github.com/Some-Owner/Repo_1.x") == "https://some-owner.github.io/Repo_1.x/"
