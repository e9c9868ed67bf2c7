"""Headless Chromium with the network blocked, and an audit of one built page.

``audit(browser, path)`` opens a page of the built book from ``file://`` while
every request to anything else is aborted, waits for MathJax, and returns what
it found: the problems (each naming the page and the target) and the counts
the tests assert on.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# TeX left unrendered in the text a reader sees: \( \) \[ \] $$, \begin{...},
# and a $...$ pair (dollarmath's rule: no space just inside either dollar).
RAW_TEX = re.compile(r"\\\(|\\\)|\\\[|\\\]|\$\$|\\begin\{|\$(?=\S)[^$\n]+(?<=\S)\$")

# The reader's text: the page's main part without code and scripts, each typeset
# formula replaced by "[formula]" (so a stray "$" beside one shows as "$[formula]$").
_READER_TEXT_JS = """() => {
  const root = (document.querySelector('main') || document.body).cloneNode(true);
  root.querySelectorAll('pre, code, script, style, textarea').forEach(e => e.remove());
  root.querySelectorAll('mjx-container').forEach(e => e.replaceWith('[formula]'));
  return root.textContent;
}"""

_MATHJAX_DONE_JS = """async () => {
  if (!window.MathJax || !MathJax.startup || !MathJax.startup.promise) return false;
  await MathJax.startup.promise;
  return true;
}"""

_IMAGES_JS = """async () => {
  const imgs = Array.from(document.images);
  imgs.forEach(i => { i.loading = 'eager'; });
  await Promise.all(imgs.map(i => i.complete ? null :
      new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); })));
  return imgs.map(i => [i.getAttribute('src') || '', i.naturalWidth, i.naturalHeight,
      i.closest('main') !== null, (i.getAttribute('alt') || '').trim(),
      i.getBoundingClientRect().width, i.closest('.cell_output') !== null]);
}"""

# A figure in a cell's output is legible when the page shows it at its own size
# (gan_helpers.style: at most TEXT_WIDTH inches wide at DPI); a wider one is
# shrunk into the column, its text with it. Checked at the window width the
# audit opens pages with.
SHRINK_TOLERANCE = 0.98

_MATH_JS = """() => {
  const sources = Array.from(document.querySelectorAll('main .math'));
  return {
    sources: sources.length,
    unrendered: sources.filter(e => !e.querySelector('mjx-container'))
                       .map(e => e.textContent.trim().slice(0, 60)),
    rendered: document.querySelectorAll('main mjx-container').length,
    errors: Array.from(document.querySelectorAll('mjx-merror'))
                 .map(e => e.getAttribute('data-mjx-error') || e.textContent).slice(0, 5),
  };
}"""


def chromium_executable() -> str:
    exe = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        message = "no chromium on PATH: install it (Debian: apt-get install chromium) to run the browser test"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return exe


@pytest.fixture(scope="module")
def browser():
    exe = chromium_executable()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        b.close()


class _Anchors(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id" or (tag == "a" and name == "name"):
                self.ids.add(value or "")


@lru_cache(maxsize=None)
def anchors_of(path: Path) -> frozenset[str]:
    """The ids (and ``<a name>``) a built HTML file defines."""
    parser = _Anchors()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return frozenset(parser.ids)


@dataclass
class Audit:
    page: str
    problems: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # every URL the page asked for
    math_sources: int = 0  # .math elements Sphinx wrote (one per formula)
    math_rendered: int = 0  # mjx-container elements MathJax made of them
    images: int = 0
    links: int = 0  # internal links checked

    def problem(self, what: str, target: str) -> None:
        self.problems.append(f"{self.page}: {what}: {target}")


def _wait_until_idle(page, pending: set, quiet_ms: int = 500, limit_s: float = 60.0) -> list[str]:
    """Wait until no request has been pending for ``quiet_ms``; return what is pending at ``limit_s``.

    Playwright's own ``networkidle`` wait has been seen to hang on a page whose stylesheet
    request was aborted, so the audit counts the requests itself and reports a request that
    never settles instead of timing out.
    """
    deadline = time.monotonic() + limit_s
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        page.wait_for_timeout(100)
        if pending:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_ms / 1000:
            return []
    return sorted(req.url for req in pending)


def audit(browser, path: Path, label: str | None = None) -> Audit:
    """Open ``path`` with the network blocked and check it as a reader would see it."""
    result = Audit(page=label or path.name)
    page = browser.new_page(viewport={"width": 1280, "height": 2000})
    # `make test` runs two workers, so a page may load beside a lesson's training: it gets
    # four times Playwright's default of 30 s
    page.set_default_timeout(120_000)
    failed: list[tuple[str, str, str]] = []
    page.route(re.compile(r"^(?!file:)"), lambda route: route.abort())
    pending: set = set()  # Request objects not yet finished or failed

    def on_request(req):
        result.requests.append(req.url)
        pending.add(req)

    def on_failed(req):
        failed.append((req.resource_type, req.url, req.failure or ""))
        pending.discard(req)

    page.on("request", on_request)
    page.on("requestfinished", lambda req: pending.discard(req))
    page.on("requestfailed", on_failed)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    try:
        page.goto(path.as_uri(), wait_until="load")
        has_mathjax = page.evaluate(_MATHJAX_DONE_JS)
        images = page.evaluate(_IMAGES_JS)
        maths = page.evaluate(_MATH_JS)
        text = page.evaluate(_READER_TEXT_JS)
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => [e.getAttribute('href'), e.href])")
        still = _wait_until_idle(page, pending)
    finally:
        page.close()

    for url in still:
        result.problem("request still pending after the page settled", url)
    for kind, url, why in failed:
        result.problem(f"failed request ({kind}, {why})", url)
    for url in result.requests:
        if not url.startswith(("file:", "data:", "blob:", "about:")):
            result.problem("request to the internet", url)
    for message in errors:
        result.problem("JavaScript or console error", message)

    for match in RAW_TEX.finditer(text):
        context = " ".join(text[max(0, match.start() - 40) : match.end() + 40].split())
        result.problem(f"raw TeX '{match.group(0)[:30]}' in the rendered text", context)
    result.math_sources, result.math_rendered = maths["sources"], maths["rendered"]
    if maths["sources"] and not has_mathjax:
        result.problem("formulas but no MathJax", f"{maths['sources']} .math elements")
    for tex in maths["unrendered"]:
        result.problem("formula not rendered", tex)
    for error in maths["errors"]:
        result.problem("MathJax error", error)

    result.images = len(images)
    for src, width, height, in_main, alt, shown, in_output in images:
        if not (width > 0 and height > 0):
            result.problem(f"image not loaded ({width}x{height})", src[:120])
        if in_main and not alt:
            result.problem("image without alt text", src[:120])
        if in_output and width > 0 and 0 < shown < SHRINK_TOLERANCE * width:
            result.problem(
                f"figure shrunk to {shown / width:.0%} of its {width} px (too wide for the column)", src[:120]
            )

    page_file = Path(unquote(urlsplit(path.as_uri()).path))
    for raw, absolute in hrefs:
        parts = urlsplit(absolute)
        if parts.scheme != "file":
            continue  # a link out of the book (arXiv, Colab, GitHub) is followed by the reader, not loaded
        result.links += 1
        target = Path(unquote(parts.path))
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            result.problem("broken internal link", raw)
            continue
        anchor = unquote(parts.fragment)
        if anchor and target.suffix == ".html" and anchor not in anchors_of(target):
            where = "" if target == page_file else f" in {target.name}"
            result.problem(f"broken internal link (no id {anchor!r}{where})", raw)
    return result
