"""Every relative link in the README, BENCHMARKS.md and docs/ points at a file or folder
that exists, and every module they name in backticks (`tests/helpers/loopback.py`,
`transforms/dedup/near.py`: from the repository or from newsbeam/) exists: files move, and
a page left pointing at the old place fails here."""
from __future__ import annotations

import pathlib
import re

ROOT = pathlib.Path(__file__).parents[1]
PAGES = [ROOT / "README.md", ROOT / "BENCHMARKS.md", *sorted((ROOT / "docs").rglob("*.md"))]
# [text](target) outside code: the target up to a space, a closing parenthesis or a #anchor.
LINK = re.compile(r"\[[^\]]*\]\(([^)\s#]*)(?:#[^)\s]*)?\)")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)
MODULE = re.compile(r"`([a-z0-9_.-]+(?:/[a-z0-9_.-]+)+\.py)`")


def relative_links(page: pathlib.Path) -> list[str]:
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    return [t for t in LINK.findall(text) if t and not re.match(r"[a-z][a-z0-9+.-]*:", t)]


def test_every_relative_link_in_the_docs_resolves():
    broken = [f"{page.relative_to(ROOT)}: {target}" for page in PAGES
              for target in relative_links(page) if not (page.parent / target).exists()]
    assert not broken, "links to files that do not exist:\n" + "\n".join(broken)


def test_the_link_check_sees_links():
    readme = relative_links(ROOT / "README.md")
    assert "docs/index.md" in readme and "SCHEMA.md" in readme


def test_every_module_the_docs_name_exists():
    missing = [f"{page.relative_to(ROOT)}: {name}" for page in PAGES
               for name in MODULE.findall(page.read_text(encoding="utf-8"))
               if not any((base / name).exists() for base in (ROOT, ROOT / "newsbeam"))]
    assert not missing, "modules named in the docs that do not exist:\n" + "\n".join(missing)


def test_the_readme_stays_a_short_way_in():
    # the reference lives in docs/; README keeps the two commands, the map and the links
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines: move reference to docs/"
