"""Every relative link in the README and in docs/ points at a file or folder that exists
(pages move: docs/ took the README's reference; a link left behind fails here)."""
from __future__ import annotations

import pathlib
import re

ROOT = pathlib.Path(__file__).parents[1]
PAGES = [ROOT / "README.md", ROOT / "BENCHMARKS.md", *sorted((ROOT / "docs").rglob("*.md"))]
# [text](target) outside code: the target up to a space, a closing parenthesis or a #anchor.
LINK = re.compile(r"\[[^\]]*\]\(([^)\s#]*)(?:#[^)\s]*)?\)")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)


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
