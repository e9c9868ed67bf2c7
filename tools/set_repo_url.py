"""Set the course's repository URL everywhere it is written, or check that every place agrees.

Usage: python tools/set_repo_url.py https://github.com/OWNER/REPO
       python tools/set_repo_url.py --check

The one source is ``repository: url:`` in ``_config.yml`` (the book's
repository button and Colab links come from it). Copies of it, which this
tool rewrites and ``--check`` compares with it:

* ``notebooks/*.ipynb``: the setup cell's ``pip install git+URL`` (only
  that string changes; the notebook is not re-executed);
* ``pyproject.toml``: ``[project.urls]`` (``Homepage`` is the repository,
  ``Documentation`` the published book, ``https://OWNER.github.io/REPO/``);
* ``README.md``: the badges (workflow status, the book, Open in Colab) and
  every other link to the repository, its book or its Colab pages.

``--root DIR`` works on another copy of the repository.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
URL_FORM = re.compile(r"https://github\.com/([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/([A-Za-z0-9_.-]{1,100})")
SLUG = r"[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9_.-]+?"
# In README.md: a link to the repository (or a page of it), to its book, or to a lesson on Colab.
README_LINKS = [
    (re.compile(rf"https://github\.com/({SLUG})(?=[/)\]\s\"'#]|$)"), "https://github.com/{owner}/{repo}"),
    (
        re.compile(r"https://([A-Za-z0-9-]+)\.github\.io/([A-Za-z0-9_.-]+?)(?=[/)\]\s\"'#]|$)"),
        "https://{pages_owner}.github.io/{repo}",
    ),
    (
        re.compile(rf"https://colab\.research\.google\.com/github/({SLUG})/blob/"),
        "https://colab.research.google.com/github/{owner}/{repo}/blob/",
    ),
]
SETUP_URL = re.compile(r"git\+https://github\.com/[^\s\"'\\]+")
CONFIG_URL = re.compile(r"(^repository:[ \t]*\n(?:[ \t]+.*\n)*?[ \t]+url:[ \t]*)(\S+)", re.M)
PROJECT_URLS = re.compile(r"^\[project\.urls\][ \t]*\n(?:(?!\[).*\n?)*", re.M)
URL_KEY = re.compile(r'^(Homepage|Documentation)([ \t]*=[ \t]*)"([^"]*)"', re.M)


def parse(url: str) -> tuple[str, str]:
    """(owner, repo) of a GitHub repository URL; ValueError naming ``url`` for anything else."""
    m = URL_FORM.fullmatch(url or "")
    if not m or m.group(2).endswith(".git") or m.group(2) in {".", ".."}:
        raise ValueError(
            f"url must be a GitHub repository, https://github.com/OWNER/REPO (no .git, no trailing /), got {url!r}"
        )
    return m.group(1), m.group(2)


def pages_url(url: str) -> str:
    """Where GitHub Pages publishes the repository's book (the owner in lower case)."""
    owner, repo = parse(url)
    return f"https://{owner.lower()}.github.io/{repo}/"


def configured_url(root: Path = ROOT) -> str:
    m = CONFIG_URL.search((root / "_config.yml").read_text())
    if not m:
        raise ValueError(f"{root / '_config.yml'} has no 'repository: url:' entry")
    return m.group(2)


def setup_cell(nb: dict) -> dict:
    return next(c for c in nb["cells"] if c["cell_type"] == "code")


# ---- reading: every copy of the URL, by file ------------------------------------------------------


def copies(root: Path = ROOT) -> dict[str, list[str]]:
    """Each file's copies of the repository URL (as repository URLs), keyed by the path relative to root."""
    found = {"_config.yml": [configured_url(root)]}
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        source = "".join(setup_cell(json.loads(path.read_text()))["source"])
        found[f"notebooks/{path.name}"] = [m[len("git+") :] for m in SETUP_URL.findall(source)]
    section = PROJECT_URLS.search((root / "pyproject.toml").read_text())
    urls = []
    for key, _, value in URL_KEY.findall(section.group(0) if section else ""):
        urls.append(value if key == "Homepage" else _repo_of_pages(value))
    found["pyproject.toml"] = urls
    found["README.md"] = readme_copies((root / "README.md").read_text())
    return found


def _is_badge(line: str) -> bool:
    return line.lstrip().startswith("[![")


def readme_copies(text: str) -> list[str]:
    """README's links to the course: every link on a badge line, and links to its book or Colab pages
    anywhere (a link to another project's repository, outside the badges, is not a copy)."""
    urls = []
    for line in text.splitlines():
        if _is_badge(line):
            urls += [f"https://github.com/{m}" for m in README_LINKS[0][0].findall(line)]
        urls += [_repo_of_pages(f"https://{o}.github.io/{r}/") for o, r in README_LINKS[1][0].findall(line)]
        urls += [f"https://github.com/{m}" for m in README_LINKS[2][0].findall(line)]
    return urls


def _repo_of_pages(url: str) -> str:
    m = re.fullmatch(r"https://([A-Za-z0-9-]+)\.github\.io/([A-Za-z0-9_.-]+)/?", url)
    return f"https://github.com/{m.group(1)}/{m.group(2)}" if m else url


def disagreements(root: Path = ROOT) -> list[str]:
    """One line per file whose copy of the URL is not _config.yml's (GitHub owners compare case-blind)."""
    want = configured_url(root)
    key = lambda u: u.lower()
    problems = []
    for name, urls in copies(root).items():
        if not urls:
            problems.append(f"{name}: no copy of the repository URL {want}")
        for url in urls:
            if key(url) != key(want):
                problems.append(f"{name}: {url} is not the repository URL of _config.yml, {want}")
    return problems


# ---- writing -------------------------------------------------------------------------------------


def _rewrite_notebook(path: Path, url: str) -> bool:
    """Replace the setup cell's git+URL in the file's text, leaving every other byte as it was."""
    text = path.read_text()
    nb = json.loads(text)
    cell = setup_cell(nb)
    new_text = text
    for line in cell["source"]:
        if not SETUP_URL.search(line):
            continue
        new_line = SETUP_URL.sub(lambda _: f"git+{url}", line)
        old_json, new_json = json.dumps(line, ensure_ascii=False), json.dumps(new_line, ensure_ascii=False)
        if new_text.count(old_json) != 1:
            raise ValueError(f"{path.name}: the setup line {line.strip()!r} is not written once in the file")
        new_text = new_text.replace(old_json, new_json)
    if not any(SETUP_URL.search(line) for line in cell["source"]):
        raise ValueError(f"{path.name}: its setup cell has no 'pip install git+https://github.com/...'")
    if new_text != text:
        new_nb = json.loads(new_text)
        setup_cell(new_nb)["source"] = cell["source"]
        if new_nb != nb:
            raise ValueError(f"{path.name}: rewriting the setup cell would change more than its URL")
        path.write_text(new_text)
    return new_text != text


def _rewrite_readme(text: str, url: str, old_slugs: set[str]) -> str:
    """Every course link of :func:`readme_copies`, and links elsewhere to the repository's old address."""
    owner, repo = parse(url)
    fields = {"owner": owner, "repo": repo, "pages_owner": owner.lower()}
    github, pages, colab = README_LINKS
    lines = []
    for line in text.splitlines(keepends=True):
        badge = _is_badge(line)
        line = github[0].sub(
            lambda m, badge=badge: (
                github[1].format(**fields) if badge or m.group(1).lower() in old_slugs else m.group(0)
            ),
            line,
        )
        for pattern, template in (pages, colab):
            line = pattern.sub(lambda _, template=template: template.format(**fields), line)
        lines.append(line)
    return "".join(lines)


def set_url(url: str, root: Path = ROOT) -> list[str]:
    """Write ``url`` into _config.yml and every copy; return the files changed."""
    parse(url)
    old_slugs = {u.lower().removeprefix("https://github.com/") for urls in copies(root).values() for u in urls}
    changed = []

    def write(name: str, new: str):
        path = root / name
        if path.read_text() != new:
            path.write_text(new)
            changed.append(name)

    config = (root / "_config.yml").read_text()
    if not CONFIG_URL.search(config):
        raise ValueError(f"{root / '_config.yml'} has no 'repository: url:' entry")
    write("_config.yml", CONFIG_URL.sub(lambda m: m.group(1) + url, config, count=1))

    pyproject = (root / "pyproject.toml").read_text()
    section = PROJECT_URLS.search(pyproject)
    if not section:
        raise ValueError(f"{root / 'pyproject.toml'} has no [project.urls] table")
    values = {"Homepage": url, "Documentation": pages_url(url)}
    body = URL_KEY.sub(lambda m: f'{m.group(1)}{m.group(2)}"{values[m.group(1)]}"', section.group(0))
    write("pyproject.toml", pyproject[: section.start()] + body + pyproject[section.end() :])

    write("README.md", _rewrite_readme((root / "README.md").read_text(), url, old_slugs))

    for path in sorted((root / "notebooks").glob("*.ipynb")):
        if _rewrite_notebook(path, url):
            changed.append(f"notebooks/{path.name}")
    return changed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", help="https://github.com/OWNER/REPO")
    parser.add_argument("--check", action="store_true", help="only report the files that disagree with _config.yml")
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository to work on")
    args = parser.parse_args(argv)
    if args.check == bool(args.url):
        parser.error("give either a URL or --check")
    if args.check:
        problems = disagreements(args.root)
        print("\n".join(problems) if problems else f"every copy is {configured_url(args.root)}")
        return 1 if problems else 0
    try:
        changed = set_url(args.url, args.root)
    except ValueError as e:
        parser.error(str(e))
    print(f"set {args.url} in: {', '.join(changed) or 'nothing (already set)'}")
    problems = disagreements(args.root)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
