"""Colab, simulated: the package as a wheel in a fresh virtual environment, one lesson run alone.

Usage: python tools/colab_sim.py [--lesson notebooks/01_single_point_gan.ipynb] [--torch SPEC]
                                 [--work DIR] [--keep]

On Colab a lesson is one notebook in an empty folder: its setup cell installs
``gan_helpers`` when it is missing, and nothing else of the repository is
there. This script does the same on this machine, with no Colab and no
repository on any path:

1. the package's sources (``pyproject.toml``, ``README.md``, ``gan_helpers/``)
   are copied into a work folder outside the repository, and a wheel is built
   from the copy; the wheel must hold every module and every weights file;
2. a fresh virtual environment is made there, with torch and
   scipy, as Colab's image has them (torch: ``--torch``, else the environment's
   ``TORCH_SPEC``, else the Makefile's pin), then the wheel, a kernel and papermill;
3. a probe notebook run by that environment's kernel, from the work folder,
   reports where ``gan_helpers`` is imported from: the environment's
   site-packages;
4. the lesson is copied alone into an empty folder and run by papermill
   there, with its default parameters; it must finish without an error and
   write no file beside itself, and the installed ``gan_helpers`` must still
   be the wheel's (the setup cell's install from the repository did not run).

Prints the seconds each step took. Exits non-zero, saying which check failed.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_LESSON = ROOT / "notebooks" / "01_single_point_gan.ipynb"


class SimulationError(RuntimeError):
    """One check of the simulation failed; the message says which."""


def makefile_torch_spec(root: Path = ROOT) -> str:
    """The torch the course is tested with: the Makefile's ``TORCH_SPEC ?= ...`` (one pin for both)."""
    for line in (root / "Makefile").read_text().splitlines():
        if line.startswith("TORCH_SPEC ?="):
            return line.split("?=", 1)[1].strip()
    raise SimulationError("the Makefile has no 'TORCH_SPEC ?= ...' line")


DEFAULT_TORCH = makefile_torch_spec()
# What Colab's image has before the setup cell runs (besides the standard library).
COLAB_IMAGE = ["scipy"]
# What running a notebook from the command line needs (Colab runs it in its own kernel).
RUNNER = ["ipykernel", "papermill"]
PIP = ["-m", "pip", "install", "-q", "--disable-pip-version-check"]


def _run(cmd, *, cwd, env=None, timeout=1800):
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise SimulationError(
            f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
        )
    return proc


def clean_env(venv: Path, home: Path) -> dict:
    """The environment a fresh machine gives: the venv first on PATH, no PYTHONPATH, Jupyter's folders empty."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"}}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    for var, sub in (
        ("JUPYTER_DATA_DIR", "jupyter-data"),
        ("JUPYTER_CONFIG_DIR", "jupyter-config"),
        ("IPYTHONDIR", "ipython"),
        ("JUPYTER_RUNTIME_DIR", "jupyter-runtime"),
    ):
        env[var] = str(home / sub)
    env.pop("JUPYTER_PATH", None)
    env.pop("MPLBACKEND", None)  # the kernel's inline backend, as on Colab
    return env


def package_files(root: Path = ROOT) -> list[str]:
    """The files of gan_helpers a wheel must hold: every module and every weights file."""
    pkg = root / "gan_helpers"
    files = (
        [p for p in pkg.rglob("*.py") if "__pycache__" not in p.parts]
        + sorted((pkg / "weights").glob("*.pt"))
        + sorted((pkg / "tables").glob("*.csv"))
    )
    return sorted(p.relative_to(root).as_posix() for p in files)


def build_wheel(work: Path, root: Path = ROOT) -> Path:
    """Copy the package's sources into ``work/src`` and build its wheel into ``work/dist``."""
    src = work / "src"
    src.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(root / name, src / name)
    shutil.copytree(root / "gan_helpers", src / "gan_helpers", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    # setuptools from this environment when it has it (offline); else pip fetches it for the build
    isolation = [] if importlib.util.find_spec("setuptools") is None else ["--no-build-isolation"]
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", *isolation, "-w", work / "dist", src], cwd=work)
    wheels = sorted((work / "dist").glob("gan_helpers-*.whl"))
    if len(wheels) != 1:
        raise SimulationError(f"expected one gan_helpers wheel in {work / 'dist'}, found {[w.name for w in wheels]}")
    return wheels[0]


def missing_from_wheel(wheel: Path, root: Path = ROOT) -> list[str]:
    """The package files (modules, weights) that the wheel lacks."""
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
    return [f for f in package_files(root) if f not in names]


def make_venv(work: Path, wheel: Path, torch_spec: str) -> tuple[Path, dict]:
    venv = work / "venv"
    env = clean_env(venv, work / "home")
    _run([sys.executable, "-m", "venv", venv], cwd=work)
    py = venv / "bin" / "python"
    _run([py, *PIP, torch_spec, *COLAB_IMAGE], cwd=work, env=env)
    _run([py, *PIP, wheel, *RUNNER], cwd=work, env=env)
    return py, env


def installed_from(py: Path, env: dict, cwd: Path) -> dict:
    """Where the venv's gan_helpers comes from: its module file and pip's record of the install."""
    code = (
        "import importlib.metadata as m, json, gan_helpers;"
        "d = m.distribution('gan_helpers');"
        "print(json.dumps({'file': gan_helpers.__file__, 'direct_url': d.read_text('direct_url.json'),"
        " 'record': d.read_text('RECORD')}))"
    )
    return json.loads(_run([py, "-c", code], cwd=cwd, env=env).stdout)


PROBE = [
    "import importlib.util, sys",
    "spec = importlib.util.find_spec('gan_helpers')",
    "print(sys.executable)",
    "print(spec.origin if spec else None)",
]


def run_probe(py: Path, env: dict, work: Path) -> tuple[str, str]:
    """Run a one-cell notebook through the venv's papermill and kernel; return (sys.executable, gan_helpers' file)."""
    import nbformat  # the repository's environment has it (test extra)

    probe_dir = work / "probe"
    probe_dir.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("\n".join(PROBE))]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, probe_dir / "probe.ipynb")
    _run(
        [py, "-m", "papermill", "probe.ipynb", "probe.out.ipynb", "-k", "python3"], cwd=probe_dir, env=env, timeout=300
    )
    out = nbformat.read(probe_dir / "probe.out.ipynb", as_version=4)
    lines = "".join(o.get("text", "") for o in out.cells[0].outputs).split()
    if len(lines) != 2:
        raise SimulationError(f"the probe printed {lines!r}")
    return lines[0], lines[1]


def run_lesson(py: Path, env: dict, lesson: Path, work: Path, params: list[str] = ()) -> tuple[Path, float]:
    """Copy the lesson alone into ``work/colab`` and run it there with papermill; return the executed copy."""
    alone = work / "colab"
    alone.mkdir()
    shutil.copy(lesson, alone / lesson.name)
    out = work / f"{lesson.stem}.out.ipynb"
    start = time.perf_counter()
    _run(
        [py, "-m", "papermill", alone / lesson.name, out, "-k", "python3", "--cwd", alone, *params],
        cwd=alone,
        env=env,
        timeout=3600,
    )
    seconds = time.perf_counter() - start
    ran = json.loads(out.read_text())
    errors = [
        o for c in ran["cells"] if c["cell_type"] == "code" for o in c.get("outputs", []) if o["output_type"] == "error"
    ]
    if errors:
        raise SimulationError(f"{lesson.name}: a cell raised {errors[0].get('ename')}: {errors[0].get('evalue')}")
    written = sorted(p.name for p in alone.iterdir() if p.name != lesson.name)
    if written:
        raise SimulationError(f"{lesson.name} wrote files beside itself: {written}")
    return out, seconds


def simulate(
    lesson: Path = DEFAULT_LESSON,
    torch_spec: str = DEFAULT_TORCH,
    work: Path | None = None,
    params: list[str] = (),
    log=print,
) -> dict:
    """Run every step; return the timings (seconds) and what was checked. Raises SimulationError on a failed check."""
    lesson = Path(lesson).resolve()
    if lesson.suffix != ".ipynb" or not lesson.is_file():
        raise ValueError(f"lesson must be an existing .ipynb file, got {lesson}")
    if not torch_spec.strip().startswith("torch"):
        raise ValueError(f"torch_spec must name torch (e.g. 'torch==2.13.0' or 'torch'), got {torch_spec!r}")
    work = Path(tempfile.mkdtemp(prefix="colab-sim-")) if work is None else Path(work).resolve()
    if work == ROOT or ROOT in work.parents:
        raise ValueError(f"work must be outside the repository ({ROOT}), got {work}")
    work.mkdir(parents=True, exist_ok=True)
    if any(work.iterdir()):
        raise ValueError(f"work must be an empty folder, got {work}")
    times = {}

    t = time.perf_counter()
    wheel = build_wheel(work)
    missing = missing_from_wheel(wheel)
    if missing:
        raise SimulationError(f"{wheel.name} lacks {missing}: see [tool.setuptools] package-data in pyproject.toml")
    times["wheel"] = time.perf_counter() - t
    log(
        f"built {wheel.name} ({wheel.stat().st_size / 1e6:.1f} MB, {len(package_files())} package files) in {times['wheel']:.0f} s"
    )

    t = time.perf_counter()
    py, env = make_venv(work, wheel, torch_spec)
    times["venv"] = time.perf_counter() - t
    log(f"fresh venv with {torch_spec}, {' '.join(COLAB_IMAGE + RUNNER)} and the wheel in {times['venv']:.0f} s")

    before = installed_from(py, env, work)
    site = Path(before["file"]).resolve().parent
    if ROOT in site.parents or not str(site).startswith(str(work / "venv")):
        raise SimulationError(f"gan_helpers is imported from {site}, not from the fresh venv")
    if not json.loads(before["direct_url"])["url"].endswith(wheel.name):
        raise SimulationError(f"gan_helpers was not installed from the wheel: {before['direct_url']}")

    t = time.perf_counter()
    executable, origin = run_probe(py, env, work)
    times["probe"] = time.perf_counter() - t
    if Path(executable).parent != py.parent or Path(origin).resolve().parent != site:
        raise SimulationError(f"the kernel ran {executable} and found gan_helpers at {origin}")
    log(f"the kernel is {executable}; it imports gan_helpers from {site}")

    out, times["lesson"] = run_lesson(py, env, lesson, work, params)
    after = installed_from(py, env, work)
    if after != before:
        raise SimulationError("gan_helpers was reinstalled while the lesson ran: the setup cell's pip install ran")
    log(f"{lesson.name} ran alone in {times['lesson']:.0f} s with no error; gan_helpers is still the wheel's")
    return {"times": times, "wheel": wheel, "output": out, "work": work, "site": site}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lesson", type=Path, default=DEFAULT_LESSON)
    parser.add_argument("--torch", default=os.environ.get("TORCH_SPEC", DEFAULT_TORCH), help="pip spec of torch")
    parser.add_argument("--work", type=Path, default=None, help="an empty folder outside the repository")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (venv, wheel, executed lesson)")
    parser.add_argument(
        "-p",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="a lesson parameter, as papermill's -p",
    )
    args = parser.parse_args(argv)
    params = [x for name, value in args.p for x in ("-p", name, value)]
    start = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="colab-sim-")) if args.work is None else args.work
    try:
        simulate(args.lesson, args.torch, work, params)
    except ValueError as e:
        parser.error(str(e))
    except SimulationError as e:
        print(f"colab-sim: FAILED: {e}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"colab-sim: kept {work}")
        elif args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(f"colab-sim: passed in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
