"""The GitHub Actions workflows: actionlint finds nothing in them, and each does what the README says.

tests.yml runs ``make test`` on every push and pull request with the Makefile's pins; book.yml
builds the book on main and publishes it to GitHub Pages; latest.yml runs the tests weekly on the
newest releases. actionlint (the test extra) also runs shellcheck on the ``run:`` scripts where
shellcheck is installed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"


def actionlint() -> str:
    exe = Path(sys.executable).with_name("actionlint")
    found = str(exe) if exe.exists() else shutil.which("actionlint")
    if not found:
        pytest.fail("actionlint is missing: pip install -e '.[test]' installs it")
    return found


def lint(*paths) -> list[dict]:
    proc = subprocess.run(
        [actionlint(), "-format", "{{json .}}", *map(str, paths)], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout or "[]")


def load(name: str) -> dict:
    wf = yaml.safe_load((WORKFLOWS / name).read_text())
    wf["on"] = wf.pop(True, wf.get("on"))  # YAML 1.1 reads the key `on` as true
    return wf


def steps(wf: dict) -> list[dict]:
    return [s for job in wf["jobs"].values() for s in job.get("steps", [])]


def runs(wf: dict) -> str:
    return "\n".join(s.get("run", "") for s in steps(wf))


def uses(wf: dict) -> list[str]:
    return [s["uses"].split("@")[0] for s in steps(wf) if "uses" in s]


def test_actionlint_finds_nothing_in_the_workflows():
    files = sorted(WORKFLOWS.glob("*.y*ml"))
    assert {"tests.yml", "book.yml", "latest.yml"} <= {f.name for f in files}
    findings = lint(*files)
    assert not findings, "\n".join(
        f"{f['filepath']}:{f['line']}:{f['column']}: {f['message']} [{f['kind']}]" for f in findings
    )


def test_actionlint_reports_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(
        (WORKFLOWS / "tests.yml")
        .read_text()
        .replace("runs-on: ubuntu-latest", "runs-on: ubuntu-latst")
        .replace("python-version:", "python-versoin:")
    )
    kinds = {f["kind"] for f in lint(broken)}
    assert {"runner-label", "action"} <= kinds, kinds


def test_tests_run_make_test_on_every_push_and_pull_request_with_the_pins():
    wf = load("tests.yml")
    assert {"push", "pull_request"} <= set(wf["on"])
    assert (wf["on"]["push"] or {}).get("branches") is None, "every push, on every branch"
    assert re.search(r"^make test$", runs(wf), re.M)
    text = (WORKFLOWS / "tests.yml").read_text()
    assert "TORCH_SPEC" not in text and "--upgrade" not in text, "the default run keeps the Makefile's pins"
    env = wf["jobs"]["test"]["env"]
    assert env["REQUIRE_BROWSER"] == "1", "the browser test must not skip in CI"


def test_the_book_is_built_on_main_and_published_to_pages():
    wf = load("book.yml")
    assert wf["on"]["push"]["branches"] == ["main"]
    assert re.search(r"^make book$", runs(wf), re.M)
    build, deploy = wf["jobs"]["build"], wf["jobs"]["deploy"]
    upload = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "_build/html"
    assert "actions/deploy-pages" in uses({"jobs": {"d": deploy}})
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    makefile = (ROOT / "Makefile").read_text()
    assert "$(BIN)/jupyter-book build . " in makefile, "make book writes _build/html"


def test_the_newest_releases_are_tested_weekly():
    wf = load("latest.yml")
    (cron,) = [c["cron"] for c in wf["on"]["schedule"]]
    minute, hour, day, month, weekday = cron.split()
    assert (day, month) == ("*", "*") and re.fullmatch(r"[0-6]", weekday), f"once a week: {cron}"
    job = wf["jobs"]["test"]
    assert job["env"]["TORCH_SPEC"] == "torch", "the newest torch, not the Makefile's pin"
    install = runs(wf)
    assert re.search(r"make venv PIP_FLAGS=\"[^\"]*--upgrade[^\"]*--upgrade-strategy eager", install)
    assert re.search(r"^make test$", install, re.M)
    # the Makefile lets both be overridden, and pyproject.toml keeps Jupyter Book at 1.x
    makefile = (ROOT / "Makefile").read_text()
    assert "TORCH_SPEC ?=" in makefile and "PIP_FLAGS ?=" in makefile
    assert '"jupyter-book>=1,<2"' in (ROOT / "pyproject.toml").read_text()
