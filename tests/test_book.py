"""The book builds without warnings and its lesson page works in a real browser."""

from __future__ import annotations

import html as html_lib
import importlib
import importlib.util
import inspect
import json
import re

import pytest
import yaml
from conftest import NOTEBOOKS, ROOT, load_script
from pagecheck import browser  # noqa: F401  (a fixture: headless Chromium)

pytestmark = pytest.mark.slow

LESSON = "notebooks/01_single_point_gan"


def test_book_builds_without_warnings(built_book):
    html, proc = built_book
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    assert "WARNING" not in log, [line for line in log.splitlines() if "WARNING" in line]
    pages = ["index.html", "book/bibliography.html", "book/why_two_networks.html", "book/api/index.html"]
    for page in pages + [f"notebooks/{p.stem}.html" for p in NOTEBOOKS]:
        assert (html / page).is_file(), page


def _repo():
    return yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"].removeprefix("https://github.com/")


def test_lesson_page_has_launch_buttons_citations_and_maths(built_book):
    html, _ = built_book
    page = (html / f"{LESSON}.html").read_text()
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text())
    colab = f"https://colab.research.google.com/github/{_repo()}/blob/{cfg['repository']['branch']}/{LESSON}.ipynb"
    assert colab in page
    assert f'href="{cfg["repository"]["url"]}"' in page  # repository button
    assert "Goodfellow" in page and "bibliography.html#id" in page  # {cite} resolved to the bibliography
    assert "mathjax" in page.lower() and r"\(" in page  # maths left for MathJax


def _api_modules() -> list[str]:
    tool = load_script("tools/make_api_pages.py")
    return tool.api_modules()


def _rendered_maths(page: str) -> set[str]:
    """The TeX of every formula the page leaves to MathJax, whitespace collapsed."""
    spans = re.findall(r'<(span|div) class="math notranslate nohighlight">(.*?)</\1>', page, flags=re.S)
    return {" ".join(html_lib.unescape(tex).strip()[2:-2].split()) for _, tex in spans}


def _docstring_maths(module_name: str) -> set[str]:
    """The TeX of every ``:math:`` role and ``.. math::`` block in a module's docstrings."""
    module = importlib.import_module(module_name)
    docs = [module.__doc__ or ""]
    for _, obj in inspect.getmembers(module):
        if getattr(obj, "__module__", None) == module_name:
            docs.append(obj.__doc__ or "")
            docs += [m.__doc__ or "" for _, m in inspect.getmembers(obj, inspect.isfunction)]
    found = set()
    for doc in docs:
        doc = inspect.cleandoc(doc)
        found |= {" ".join(tex.split()) for tex in re.findall(r":math:`([^`]+)`", doc)}
        for block in re.findall(r"\.\. math::(.*?)(?=\n\S|\n\n\S|\Z)", doc, flags=re.S):
            found.add(" ".join(block.split()))
    return found - {""}


def test_api_reference_renders_every_module_with_formulas_and_citations(built_book):
    html, proc = built_book
    assert proc.returncode == 0
    index = (html / "book/api/index.html").read_text()
    described: dict[str, str] = {}
    for name in _api_modules():
        page_path = html / f"book/api/{name}.html"
        assert page_path.is_file(), name
        page = page_path.read_text()
        assert f'id="module-{name}"' in page, name  # autodoc ran
        assert 'class="problematic"' not in page and ":math:`" not in page and ":cite:" not in page, name
        assert f"{name}.html" in index, name
        for obj in re.findall(r'<dt class="sig sig-object py" id="([^"]+)"', page):
            assert obj.startswith(f"{name}."), f"{obj} is described on the page of {name}"  # not a re-export
            assert obj not in described, f"{obj} is described on {described.get(obj)} and {name}"
            described[obj] = name
    assert "gan_helpers.stats.wilson_interval" in described
    losses = (html / "book/api/gan_helpers.losses.html").read_text()
    rendered = _rendered_maths(losses)
    expected = _docstring_maths("gan_helpers.losses")
    assert expected and rendered & expected, (sorted(expected), sorted(rendered))
    assert "mathjax" in losses.lower()
    stats = (html / "book/api/gan_helpers.stats.html").read_text()
    assert _docstring_maths("gan_helpers.stats") <= _rendered_maths(stats)
    cites = re.findall(
        r'<a class="reference internal" href="\.\./bibliography\.html#(id\d+)"[^>]*>Wilson, 1927</a>', stats
    )
    assert cites, "the stats page's citation does not link to the bibliography"
    bibliography = (html / "book/bibliography.html").read_text()
    assert f'id="{cites[0]}"' in bibliography and "Probable inference" in bibliography


def _open(page_obj, url):
    """Load ``url`` with every request but file:// failing at once; return the event logs."""
    logs = {"errors": [], "failed": [], "console": []}
    page_obj.route(re.compile(r"^(?!file:)"), lambda route: route.abort())
    page_obj.on("pageerror", lambda exc: logs["errors"].append(str(exc)))
    page_obj.on("requestfailed", lambda req: logs["failed"].append(req.url))
    page_obj.on("console", lambda msg: logs["console"].append(msg.text) if msg.type == "error" else None)
    page_obj.goto(url, wait_until="load")
    return logs


def _check_clean(logs):
    """No JavaScript error, no failed request (the book asks the internet for nothing), no console error."""
    assert not logs["errors"], f"JavaScript errors: {logs['errors']}"
    assert not logs["failed"], f"requests that failed with the network blocked: {logs['failed']}"
    assert not logs["console"], f"console errors: {logs['console']}"


def _png_outputs(lesson: str) -> int:
    """How many PNG figures the committed notebook shows in the book (cells not tagged remove-output)."""
    nb = json.loads((ROOT / f"{lesson}.ipynb").read_text())
    return sum(
        "image/png" in out.get("data", {})
        for cell in nb["cells"]
        if cell["cell_type"] == "code" and not {"remove-output", "remove-cell"} & set(cell["metadata"].get("tags", []))
        for out in cell["outputs"]
    )


@pytest.mark.parametrize("lesson", [f"notebooks/{p.stem}" for p in NOTEBOOKS])
def test_every_lesson_page_shows_its_figures_and_colab_link(built_book, browser, lesson):
    html, _ = built_book  # a build warning fails test_book_builds_without_warnings alone
    page = browser.new_page(viewport={"width": 1280, "height": 2000})
    logs = _open(page, (html / f"{lesson}.html").as_uri())
    images = page.eval_on_selector_all(
        "article img", "els => els.map(e => [e.getAttribute('src'), e.complete && e.naturalWidth > 0])"
    )
    figures = [src for src, ok in images if src and src.endswith(".png")]
    assert len(figures) >= _png_outputs(lesson), images  # every figure of the notebook is on the page
    assert all(ok for _, ok in images), [src for src, ok in images if not ok]
    assert page.locator(f"a[href$='github/{_repo()}/blob/main/{lesson}.ipynb']").count() >= 1
    page.close()
    _check_clean(logs)


def test_lesson_1_animation_plays_in_headless_chromium(built_book, browser, tmp_path):
    html, _ = built_book  # a build warning fails test_book_builds_without_warnings alone
    page = browser.new_page(viewport={"width": 1280, "height": 2000})
    logs = _open(page, (html / f"{LESSON}.html").as_uri())
    anim = page.locator("div.animation").first
    assert anim.count() == 1
    assert anim.locator(".anim-buttons button").count() >= 8
    # the buttons' icons (fa fa-play, ...) are drawn by the theme's own Font Awesome, not a CDN's
    icons = anim.locator(".anim-buttons button svg[data-icon]")
    icons.first.wait_for()
    assert icons.count() == anim.locator(".anim-buttons button").count()
    assert "play" in icons.evaluate_all("els => els.map(e => e.getAttribute('data-icon'))")
    slider = anim.locator("input.anim-slider")
    frame_img = anim.locator("img").first
    first_src = frame_img.get_attribute("src")
    anim.locator("button[onclick$='.next_frame()']").click()
    assert slider.input_value() == "1"
    assert frame_img.get_attribute("src") != first_src
    anim.locator("button[onclick$='.play_animation()']").click()
    page.wait_for_timeout(600)
    assert int(slider.input_value()) > 1
    anim.scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "lesson.png"), full_page=False)
    page.close()
    _check_clean(logs)


@pytest.mark.parametrize("lesson", ["notebooks/01_single_point_gan", "notebooks/08_latent_space"])
def test_kernel_free_slider_changes_the_picture(built_book, browser, lesson):
    """The static page's stand-in for the lesson's widget: moving its slider shows another frame."""
    html, _ = built_book
    page = browser.new_page(viewport={"width": 1280, "height": 2000})
    logs = _open(page, (html / f"{lesson}.html").as_uri())
    slider = page.locator("div.frame-slider").first
    assert slider.count() == 1, f"{lesson}: no kernel-free slider (gan_helpers.sliders.frame_slider) on the page"
    image = slider.locator("img")
    inputs = slider.locator("input[type=range]")
    before_src, before_alt = image.get_attribute("src"), image.get_attribute("alt")
    for k in range(inputs.count()):
        last = inputs.nth(k).get_attribute("max")
        start = inputs.nth(k).input_value()
        inputs.nth(k).fill("0" if start != "0" else last)
    assert image.get_attribute("src") != before_src  # another frame
    assert image.get_attribute("alt") != before_alt and image.get_attribute("alt")  # and its description
    assert image.evaluate("i => i.complete && i.naturalWidth > 0")
    page.close()
    _check_clean(logs)
