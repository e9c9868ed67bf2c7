"""Re-execute lessons in place, top to bottom, so their committed outputs are fresh.

Usage: python tools/execute_notebooks.py notebooks/01_single_point_gan.ipynb [...]
       python tools/execute_notebooks.py --freeze-only notebooks/*.ipynb

Each notebook runs in its own folder with the ``python3`` kernel. Then, so
that re-running a lesson changes only what really changed:

* the cell timing metadata nbclient adds is dropped;
* every finished ``tqdm`` progress bar (an ipywidgets HBox of a label, a
  bar and a counter) is replaced by one line of text showing its final
  state, and its widget models are removed from the notebook's metadata.
  A widget's model ids are new on every run and its state is kilobytes of
  JSON; the line of text reads the same in the book and on GitHub. Other
  widgets (sliders, ``interact``) keep their state.

``--freeze-only`` applies the second step to notebooks without running them.

Each run also records, in ``book/lesson_times.csv``, the notebook's wall
time, the CPU seconds of its kernel (user + system, all threads, read
from ``resource.getrusage`` in the kernel after the last cell) and the
machine's load, and updates the lesson table of ``book/intro.md`` from it
(``tools/lesson_times.py``).
"""

from __future__ import annotations

import html
import json
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

sys.path.insert(0, str(Path(__file__).parent))
import lesson_times  # noqa: E402

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
_TQDM_PARTS = ["HTMLModel", "FloatProgressModel", "HTMLModel"]


def _refs(value) -> list[str]:
    """Model ids referenced (as ``"IPY_MODEL_<id>"``) anywhere inside ``value``."""
    if isinstance(value, str):
        return [value[len("IPY_MODEL_") :]] if value.startswith("IPY_MODEL_") else []
    if isinstance(value, dict):
        return [r for v in value.values() for r in _refs(v)]
    if isinstance(value, list):
        return [r for v in value for r in _refs(v)]
    return []


def progress_bar_text(state: dict, model_id: str) -> str | None:
    """The final line of the tqdm bar whose HBox model is ``model_id``, or None if it is not one."""
    box = state.get(model_id)
    if not box or box.get("model_name") != "HBoxModel":
        return None
    parts = [state.get(r) for r in _refs(box["state"].get("children", []))]
    if any(p is None for p in parts) or [p.get("model_name") for p in parts] != _TQDM_PARTS:
        return None
    left, bar, right = (p["state"] for p in parts)
    done = bar.get("value", 0) / bar["max"] if bar.get("max") else 0.0
    filled = max(0, min(10, round(10 * done)))
    line = f"{html.unescape(left.get('value', ''))}|{'█' * filled}{' ' * (10 - filled)}|{html.unescape(right.get('value', ''))}"
    return line.replace("\u2007", " ")  # tqdm pads its HTML with figure spaces


def freeze_progress_bars(nb) -> int:
    """Replace tqdm widget outputs by their final text in place; return how many were replaced.

    ``nb`` is a notebook as nbformat reads it, or the same as plain dicts.
    """
    widgets = nb["metadata"].get("widgets", {}).get(WIDGET_STATE, {})
    state = widgets.get("state", {})
    frozen, unused = 0, set()
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get(WIDGET_VIEW)
            text = progress_bar_text(state, view["model_id"]) if view else None
            if text is None:
                continue
            out["data"] = {"text/plain": text}
            frozen += 1
            todo = [view["model_id"]]
            while todo:  # the bar's models and everything they reference (layouts, styles)
                mid = todo.pop()
                if mid not in unused and mid in state:
                    unused.add(mid)
                    todo += _refs(state[mid]["state"])
    still_used = {r for mid in state if mid not in unused for r in _refs(state[mid]["state"])}
    for mid in unused - still_used:
        del state[mid]
    if "widgets" in nb["metadata"] and not state:
        del nb["metadata"]["widgets"]
    return frozen


# run in the kernel after the lesson's last cell, then removed: the kernel's CPU seconds so far
CPU_PROBE = (
    "import json as _json, resource as _resource\n"
    "_usage = [_resource.getrusage(w) for w in (_resource.RUSAGE_SELF, _resource.RUSAGE_CHILDREN)]\n"
    "print(_json.dumps(sum(u.ru_utime + u.ru_stime for u in _usage)))"
)


def execute(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(CPU_PROBE))
    start = time.perf_counter()
    client = NotebookClient(nb, timeout=1200, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except CellExecutionError:
        # keep what ran, outputs and all, for reading; the lesson itself is left as it was
        failed = path.parents[1] / "lesson_runs" / f"{path.stem}.failed.ipynb"
        failed.parent.mkdir(exist_ok=True)
        nbformat.write(nb, failed)
        print(f"{path}: a cell failed; the notebook as far as it ran is in {failed}", flush=True)
        raise
    elapsed = time.perf_counter() - start
    probe = nb.cells.pop()
    cpu = json.loads("".join(o.get("text", "") for o in probe.outputs if o.get("name") == "stdout"))
    lesson_times.record(path, wall_s=elapsed, cpu_s=cpu, load=os.getloadavg()[0])
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    freeze_progress_bars(nb)
    nbformat.write(nb, path)
    return elapsed


def main(args: list[str]) -> None:
    freeze_only = "--freeze-only" in args
    paths = [a for a in args if a != "--freeze-only"]
    if not paths:
        sys.exit(__doc__)
    for p in paths:
        if freeze_only:
            nb = nbformat.read(p, as_version=4)
            n = freeze_progress_bars(nb)
            nbformat.write(nb, p)
            print(f"{p}: {n} progress bars frozen", flush=True)
        else:
            print(f"{p}: ran in {execute(Path(p)):.1f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
