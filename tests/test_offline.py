"""The built book reads offline: each page, opened from file:// in headless
Chromium with every other request aborted, shows typeset formulas (no raw TeX),
loads every script, stylesheet and image it asks for, and links only to files
and anchors that exist. A copy of a page with planted faults shows the audit
catches each one, naming the page and the target.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest
from conftest import NOTEBOOKS, ROOT
from pagecheck import RAW_TEX, audit, browser  # noqa: F401  (browser is a fixture)
from PIL import Image

pytestmark = pytest.mark.slow

# The pages a reader of the course opens: the intro, lesson 0, every lesson,
# the bibliography and the API reference (its index and one page per module).
PAGES = (
    ["book/intro.html", "book/why_two_networks.html"]
    + [f"notebooks/{p.stem}.html" for p in NOTEBOOKS]
    + ["book/bibliography.html", "book/api/index.html"]
)
# book/api/gan_helpers.<module>.md, written by tools/make_api_pages.py
API_MODULES = sorted(p.stem.removeprefix("gan_helpers.") for p in (ROOT / "book/api").glob("gan_helpers.*.md"))

# Formulas in a source: $...$, $$...$$, {math} roles and directives, reST math.
_SOURCE_MATH = re.compile(r"\$(?=\S)[^$\n]+(?<=\S)\$|\$\$|\{math\}|:math:`|\.\. math::")


def _source_text(page: str) -> str:
    """What the page is written from: the markdown cells of a lesson, a page's markdown, a module's docstrings."""
    if page.startswith("notebooks/"):
        nb = json.loads((ROOT / page.replace(".html", ".ipynb")).read_text())
        return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    if page.startswith("book/api/gan_helpers."):
        return (ROOT / "gan_helpers" / f"{page.split('.')[-2]}.py").read_text()
    if page == "book/api/index.html":
        return (ROOT / "book/api/index.md").read_text() + (ROOT / "gan_helpers/README.md").read_text()
    return (ROOT / page.replace(".html", ".md")).read_text()


def _check(browser, html, page):
    assert (html / page).is_file(), f"{page} was not built"
    result = audit(browser, html / page, page)
    assert not result.problems, "\n".join(result.problems)
    assert result.requests and all(u.startswith("file:") for u in result.requests), result.requests
    assert result.links > 0, f"{page}: no internal link found (the page has a sidebar)"
    source_has_math = bool(_SOURCE_MATH.search(_source_text(page)))
    if source_has_math:
        assert result.math_sources > 0, f"{page}: the source has formulas, the page none"
    assert result.math_rendered >= result.math_sources  # each .math element holds a typeset formula
    return result


@pytest.mark.parametrize("page", PAGES)
def test_page_reads_offline(built_book, browser, page):
    html, _ = built_book  # a warning fails test_book_builds_without_warnings; the pages are built all the same
    result = _check(browser, html, page)
    if page.startswith("notebooks/") or page == "book/why_two_networks.html":
        assert result.math_rendered > 0, f"{page}: a lesson without typeset formulas"
    if page.startswith("notebooks/"):
        assert result.images > 0, f"{page}: a lesson without figures"


@pytest.mark.parametrize("module", API_MODULES)
def test_api_page_reads_offline(built_book, browser, module):
    html, _ = built_book
    _check(browser, html, f"book/api/gan_helpers.{module}.html")


def test_mathjax_comes_from_the_build(built_book):
    html, _ = built_book
    lesson = (html / "notebooks/01_single_point_gan.html").read_text()
    scripts = re.findall(r'<script[^>]*\bsrc="([^"]*mathjax[^"]*)"', lesson, flags=re.I)
    assert scripts == ["../_static/mathjax/tex-chtml.js"], scripts
    assert (html / "_static/mathjax/tex-chtml.js").is_file()
    assert (html / "_static/mathjax/output/chtml/fonts/woff-v2").is_dir()  # the fonts it typesets with
    for page in html.rglob("*.html"):
        text = page.read_text(encoding="utf-8", errors="replace")
        external = re.findall(
            r'<(?:script[^>]*\bsrc|link[^>]*rel="stylesheet"[^>]*\bhref)="((?:https?:)?//[^"]+)"', text
        )
        assert not external, (page.relative_to(html), external)


def test_raw_tex_pattern():
    for raw in [r"\(x\)", r"\[x\]", "$$x$$", "a $x$ b", "$[formula]$", r"\begin{align}"]:
        assert RAW_TEX.search(raw), raw
    for clean in ["costs 5 $ and", "a [formula] b", "p = 0.5", "(x) [y]"]:
        assert not RAW_TEX.search(clean), clean


# Each fault is written into a copy of lesson 1's page; the audit must name it.
PLANTED = {
    # MathJax typesets \(...\) anywhere on a page but in a mathjax_ignore element
    "raw TeX": ('<p class="mathjax_ignore">planted \\(x^2\\) formula</p>', r"raw TeX '\('"),
    "dollar pair": ("<p>planted $y$ dollars</p>", "raw TeX '$y$'"),
    "missing image": ('<img src="planted_missing.png" alt="x">', "image not loaded (0x0): planted_missing.png"),
    "image without alt text": (
        '<img src="../_static/planted_alt.png">',
        "image without alt text: ../_static/planted_alt.png",
    ),
    "figure too wide": (
        '<div class="cell_output"><img alt="wide" src="../_static/planted_wide.png"></div>',
        "figure shrunk to",
    ),
    "broken link": ('<a href="planted_nowhere.html">x</a>', "broken internal link: planted_nowhere.html"),
    "broken anchor": (
        '<a href="02_failures_and_fixes.html#planted-anchor">x</a>',
        "no id 'planted-anchor' in 02_failures_and_fixes.html",
    ),
    "external stylesheet": (
        '<link rel="stylesheet" href="https://cdn.example.org/planted.css">',
        "failed request (stylesheet, net::ERR_FAILED): https://cdn.example.org/planted.css",
    ),
    "external script": (
        '<script src="https://cdn.example.org/planted.js"></script>',
        "request to the internet: https://cdn.example.org/planted.js",
    ),
    "missing local script": (
        '<script src="../_static/planted_missing.js"></script>',
        "failed request (script, net::ERR_FILE_NOT_FOUND)",
    ),
}


@pytest.fixture(scope="module")
def planted_copy(built_book, tmp_path_factory):
    html, _ = built_book
    assert (html / "notebooks/01_single_point_gan.html").is_file()
    copy = tmp_path_factory.mktemp("planted") / "html"
    shutil.copytree(html, copy)
    return copy


@pytest.mark.parametrize("fault", sorted(PLANTED))
def test_audit_catches_planted_fault(planted_copy, browser, fault):
    snippet, expected = PLANTED[fault]
    lesson = planted_copy / "notebooks/01_single_point_gan.html"
    text = lesson.read_text()
    assert "<main" in text
    # a PNG of 2,000 x 10 px: wider than any text column
    Image.new("RGB", (2000, 10), "gray").save(planted_copy / "_static/planted_wide.png")
    Image.new("RGB", (20, 10), "gray").save(planted_copy / "_static/planted_alt.png")
    page = planted_copy / "notebooks/planted.html"
    page.write_text(re.sub(r"(<main[^>]*>)", lambda m: m.group(1) + snippet, text, count=1))
    result = audit(browser, page, "notebooks/planted.html")
    assert any(expected in p and p.startswith("notebooks/planted.html: ") for p in result.problems), (
        fault,
        result.problems,
    )


def test_audit_catches_a_page_whose_mathjax_does_not_load(planted_copy, browser):
    """The fault the course once had: MathJax from a CDN, so with no network every formula shows as TeX."""
    text = (planted_copy / "notebooks/03_gan_objective.html").read_text()
    assert text.count('src="../_static/mathjax/tex-chtml.js"') == 1
    page = planted_copy / "notebooks/no_mathjax.html"
    page.write_text(
        text.replace('src="../_static/mathjax/tex-chtml.js"', 'src="https://cdn.example.org/mathjax/tex-chtml.js"')
    )
    problems = audit(browser, page, "notebooks/no_mathjax.html").problems
    for expected in [
        "failed request (script, net::ERR_FAILED): https://cdn.example.org/mathjax/tex-chtml.js",
        "formulas but no MathJax",
        "formula not rendered",
        r"raw TeX '\('",
    ]:
        assert any(expected in p for p in problems), (expected, "\n".join(problems))
