"""Sphinx extension: every page of the book reads with no network.

A notebook output may carry a ``<link rel="stylesheet">`` or ``<script src>``
that points at the internet. matplotlib's JavaScript animation (lesson 1) links
Font Awesome 4 from a CDN for its button icons; the theme already ships Font
Awesome (``_static/scripts/fontawesome.js``), which draws the same ``fa fa-*``
icons, so that link is dropped from the page. Any other external script,
stylesheet or image left on a page (in its body or its head) is a warning (an error under ``-W``), naming
the page and the URL.
"""

from __future__ import annotations

import re

from sphinx.util import logging

logger = logging.getLogger(__name__)

# <link ... href="http(s)://.../font-awesome...css" ...>, any attribute order, over several lines
_FONT_AWESOME_LINK = re.compile(
    r"""<link\b[^>]*\bhref=["'](?:https?:)?//[^"']*font-?awesome[^"']*\.css[^"']*["'][^>]*>\s*""",
    flags=re.IGNORECASE,
)
_EXTERNAL_ASSET = re.compile(
    r"""<(?:script\b[^>]*\bsrc|img\b[^>]*\bsrc|link\b[^>]*\bhref)=["']((?:https?:)?//[^"']+)["'][^>]*>""",
    flags=re.IGNORECASE,
)


def drop_external_font_awesome(body: str) -> str:
    """The page body without links to a Font Awesome stylesheet on the internet."""
    return _FONT_AWESOME_LINK.sub("", body)


def external_assets(body: str) -> list[str]:
    """URLs of scripts, images and stylesheets on the internet that a page body still loads."""
    found = []
    for match in _EXTERNAL_ASSET.finditer(body):
        tag = match.group(0).lower()
        if tag.startswith("<link") and not re.search(r"""\brel=["']?[^"'>]*(stylesheet|preload|modulepreload)""", tag):
            continue  # rel="index", "next", ... are links, not assets
        found.append(match.group(1))
    return found


def _on_page(app, pagename, templatename, context, doctree):
    body = drop_external_font_awesome(context.get("body") or "")
    if body:
        context["body"] = body
    urls = external_assets(body)
    for asset in list(context.get("script_files", [])) + list(context.get("css_files", [])):
        url = str(getattr(asset, "filename", asset) or "")
        if re.match(r"(https?:)?//", url):
            urls.append(url)
    for url in urls:
        logger.warning("page %s loads %s from the internet; the book must read offline", pagename, url)


def setup(app):
    app.connect("html-page-context", _on_page, priority=900)  # after the others add their files
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
