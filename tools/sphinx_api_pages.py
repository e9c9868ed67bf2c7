"""The book's own Sphinx extension, loaded from ``_config.yml`` (``sphinx.local_extensions``).

* autodoc imports the ``gan_helpers`` of this repository, whatever copy of the
  package is installed elsewhere (the repository root goes first on ``sys.path``);
* a page of the API reference that is missing, stale or left over is a build
  warning (an error under ``-W``) that names the page and the command that
  regenerates the reference (``tools/make_api_pages.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from sphinx.util import logging

ROOT = Path(__file__).resolve().parents[1]
logger = logging.getLogger(__name__)


def _check_api_pages(app) -> None:
    import make_api_pages

    for problem in make_api_pages.differences():
        logger.warning(f"API reference: {problem}; regenerate it: {make_api_pages.COMMAND}")


def setup(app):
    if sys.path[:1] != [str(ROOT)]:
        sys.path.insert(0, str(ROOT))
    app.connect("builder-inited", _check_api_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
