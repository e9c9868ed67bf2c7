"""The intro's course map (book/figures/course_map.svg) is the one its script draws from the book's table of contents."""

from __future__ import annotations

import re
import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "book" / "figures"))
import course_map  # noqa: E402
from svg_figure import texts as _svg_texts  # noqa: E402


def test_every_lesson_has_a_rung_and_the_map_follows_the_toc():
    pages = [page for page, _, _ in course_map.lessons()]
    assert pages == list(course_map.RUNGS), "every lesson of _toc.yml needs a line in course_map.RUNGS, in order"
    assert [t for _, t, _ in course_map.lessons()][:2] == ["0. Why two networks", "1. The single-point GAN"]
    assert "A GAN debugging checklist" in course_map.appendices()


def test_committed_map_is_the_one_its_script_draws(tmp_path):
    committed = (ROOT / "book" / "figures" / "course_map.svg").read_text()
    fresh = course_map.save(tmp_path / "course_map.svg").read_text()
    assert _svg_texts(committed) == _svg_texts(fresh), "re-run: python book/figures/course_map.py"
    texts = _svg_texts(committed)
    for page, name, part in course_map.lessons():
        assert re.split(r"[:,]", name)[0] in texts and course_map.RUNGS[page] in texts and part in texts
    for name in course_map.appendices():
        assert name in texts, name


def test_the_intro_shows_the_map():
    assert "figures/course_map.svg" in (ROOT / "book" / "intro.md").read_text()
