"""tools/sphinx_offline.py: which links of a page body it drops, which it reports."""

from __future__ import annotations

from conftest import load_script

sphinx_offline = load_script("tools/sphinx_offline.py")

# what matplotlib's Animation.to_jshtml writes at the top of its output
FONT_AWESOME = (
    '<link rel="stylesheet"\nhref="https://maxcdn.bootstrapcdn.com/font-awesome/4.4.0/css/font-awesome.min.css">\n'
)


def test_drops_the_cdn_font_awesome_link_and_nothing_else():
    body = f'<div>{FONT_AWESOME}<script language="javascript">x</script><i class="fa fa-play"></i></div>'
    assert sphinx_offline.drop_external_font_awesome(body) == (
        '<div><script language="javascript">x</script><i class="fa fa-play"></i></div>'
    )
    local = '<link rel="stylesheet" href="../_static/vendor/font-awesome.css">'
    assert sphinx_offline.drop_external_font_awesome(local) == local


def test_reports_external_scripts_stylesheets_and_images_only():
    body = (
        '<script src="https://cdn.example.org/a.js"></script>'
        '<script src="../_static/b.js"></script>'
        '<script type="application/json">{"src": "https://x"}</script>'
        "<link rel='stylesheet' href='//cdn.example.org/c.css'>"
        '<link rel="next" href="https://example.org/next.html">'
        '<a href="https://arxiv.org/abs/1406.2661">paper</a>'
        '<img src="https://example.org/d.png">'
    )
    assert sphinx_offline.external_assets(body) == [
        "https://cdn.example.org/a.js",
        "//cdn.example.org/c.css",
        "https://example.org/d.png",
    ]
    assert sphinx_offline.external_assets(FONT_AWESOME) == [
        "https://maxcdn.bootstrapcdn.com/font-awesome/4.4.0/css/font-awesome.min.css"
    ]
    assert sphinx_offline.external_assets(sphinx_offline.drop_external_font_awesome(FONT_AWESOME)) == []
