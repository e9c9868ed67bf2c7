"""The book's own Sphinx extension, loaded from ``_config.yml`` (``sphinx.local_extensions``).

* autodoc imports the ``gan_helpers`` of this repository, whatever copy of the
  package is installed elsewhere (the repository root goes first on ``sys.path``);
* a page of the API reference that is missing, stale or left over is a build
  warning (an error under ``-W``) that names the page and the command that
  regenerates the reference (``tools/make_api_pages.py``);
* each object is described once, on the page of the module that defines it;
  a reference to a name that a module re-exports (``:func:`d_step``` in
  ``gan_helpers.train``, which imports it from ``gan_helpers.steps``) links
  to that description.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from sphinx.util import logging

ROOT = Path(__file__).resolve().parents[1]
logger = logging.getLogger(__name__)


def _check_api_pages(app) -> None:
    import make_api_pages

    for problem in make_api_pages.differences():
        logger.warning(f"API reference: {problem}; regenerate it: {make_api_pages.COMMAND}")


def _lookup(dotted: str):
    """The object a dotted name leads to: its longest importable module, then attributes; None if none."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for part in parts[i:]:
            obj = getattr(obj, part, None)
            if obj is None:
                return None
        return obj
    return None


def _home(module_name: str | None, target: str) -> str | None:
    """The full name of the object ``target`` names (seen from ``module_name``) in the module that
    defines it, when that is another module of gan_helpers; None otherwise."""
    names = [target] if target.startswith("gan_helpers.") else []
    if module_name and module_name.startswith("gan_helpers"):
        names.append(f"{module_name}.{target}")
    for name in names:
        obj = _lookup(name)
        home, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
        if home and qualname and home.startswith("gan_helpers") and f"{home}.{qualname}" != name:
            return f"{home}.{qualname}"
    return None


def _resolve_reexport(app, env, node, contnode):
    """Resolve a Python reference to a re-exported name to the object's own module."""
    if node.get("refdomain") != "py":
        return None
    home = _home(node.get("py:module"), node["reftarget"].lstrip("~."))
    if home is None:
        return None
    domain = env.get_domain("py")
    return domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"], home, node, contnode)


def setup(app):
    if sys.path[:1] != [str(ROOT)]:
        sys.path.insert(0, str(ROOT))
    app.connect("builder-inited", _check_api_pages)
    app.connect("missing-reference", _resolve_reexport)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
