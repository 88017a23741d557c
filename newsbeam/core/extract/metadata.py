"""Metadata candidates of an HTML page, one function per source: JSON-LD, OpenGraph and
``<meta>``, and trafilatura's own heuristics (only for fields the first two leave empty)."""
from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any, Iterator

from htmldate import find_date
from lxml import etree
from lxml.html import HtmlElement
from trafilatura.metadata import (
    examine_meta, extract_author, extract_catstags, extract_meta_json, extract_sitename,
    extract_title, extract_url,
)
from trafilatura.settings import DEFAULT_CONFIG, set_date_params

from newsbeam.core.extract.fields import Candidates, split_authors, strings_of

# --- JSON-LD --------------------------------------------------------------------------------

_ARTICLE_TYPES = frozenset({
    "Article", "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle",
    "OpinionNewsArticle", "BackgroundNewsArticle", "ReviewNewsArticle", "BlogPosting",
    "LiveBlogPosting", "Report",
})
_JSONLD_MAX_DEPTH = 4
_JSON_WRAPPERS = re.compile(r"^\s*(?:<!--|<!\[CDATA\[)|(?:-->|\]\]>)\s*$")


def _load_json(text: str | None) -> Any:
    """Parsed JSON, or None for broken JSON (it is common; the page is still fine)."""
    try:
        return json.loads(_JSON_WRAPPERS.sub("", text or ""), strict=False)
    except (ValueError, RecursionError):
        return None


def _jsonld_nodes(data: Any, depth: int = 0) -> Iterator[dict]:
    """Top-level nodes of a JSON-LD block: through lists and ``@graph`` arrays."""
    if depth > _JSONLD_MAX_DEPTH:
        return
    if isinstance(data, list):
        for item in data:
            yield from _jsonld_nodes(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        yield from _jsonld_nodes(data.get("@graph"), depth + 1)


def _types(node: dict) -> set[str]:
    # "schema:NewsArticle" and "https://schema.org/NewsArticle" name the same type.
    return {re.split(r"[/:#]", t)[-1] for t in strings_of(node.get("@type"))}


def _jsonld_strings(value: Any, index: dict[str, dict], keys: tuple[str, ...]) -> list[str]:
    """Strings from a JSON-LD value that may be text, an object (or a ``{"@id"}`` reference
    into the graph) holding one of ``keys``, or a list of these."""
    if isinstance(value, list):
        return [s for item in value for s in _jsonld_strings(item, index, keys)]
    if isinstance(value, dict):
        node = index.get(value.get("@id"), value) if isinstance(value.get("@id"), str) else value
        return next((strings_of(node[k]) for k in keys if strings_of(node.get(k))), [])
    return strings_of(value)


def _listed(value: Any) -> list[dict]:
    """The objects of a JSON-LD value that may be one object or a list."""
    return [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, dict)]


def _jsonld_article(tree: HtmlElement) -> tuple[dict, dict[str, dict]] | None:
    """The first article node of the page's JSON-LD, with its block's ``@id`` index."""
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        nodes = list(_jsonld_nodes(_load_json(script.text)))
        index = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str)}
        article = next((n for n in nodes if _types(n) & _ARTICLE_TYPES), None)
        if article is not None:
            return article, index
    return None


def jsonld_candidates(tree: HtmlElement) -> Candidates:
    """Metadata candidates from the page's JSON-LD article node."""
    found = _jsonld_article(tree)
    if found is None:
        return {}
    node, index = found

    def strings(key: str, *object_keys: str) -> list[str]:
        return _jsonld_strings(node.get(key), index, object_keys or ("name",))

    return {
        "title": strings("headline") + strings("name"),
        "authors": [strings("author")],
        # authors typed Organization: the publisher (trafilatura skips them too)
        "organizations": [name for author in _listed(node.get("author"))
                          if "Organization" in _types(index.get(author.get("@id"), author))
                          for name in _jsonld_strings(author, index, ("name",))],
        "published_at": strings("datePublished") + strings("dateCreated"),
        "description": strings("description"),
        "tags": [strings("keywords")],
        "image_url": strings("image", "url", "contentUrl", "@id") + strings("thumbnailUrl"),
        "site_name": strings("publisher"),
        "language": strings("inLanguage", "alternateName"),
    }


# --- OpenGraph and <meta> -------------------------------------------------------------------

# Per field, the meta keys (property / name / itemprop) to read, best first. List fields
# take every value of a key ("article:tag" repeats).
_META_KEYS = {
    "title": ("og:title", "twitter:title"),
    "authors": ("article:author", "author", "parsely-author", "dc.creator"),
    "published_at": ("article:published_time", "datepublished", "pubdate", "publish-date",
                     "dc.date.issued", "dc.date"),
    "description": ("og:description", "description", "twitter:description"),
    "tags": ("article:tag", "news_keywords", "keywords"),
    "image_url": ("og:image", "og:image:url", "og:image:secure_url", "twitter:image"),
    "site_name": ("og:site_name", "application-name"),
    "language": ("og:locale", "content-language", "dc.language"),
    "page_url": ("og:url",),
}


def _meta_values(tree: HtmlElement) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop")
               or meta.get("http-equiv"))
        content = meta.get("content")
        if key and content and content.strip():
            values.setdefault(key.strip().lower(), []).append(content)
    return values


def _canonical_link(tree: HtmlElement) -> list[str]:
    return [link.get("href") for link in tree.iter("link")
            if "canonical" in (link.get("rel") or "").lower().split() and link.get("href")]


def meta_candidates(tree: HtmlElement) -> Candidates:
    """Metadata candidates from OpenGraph/meta tags, ``<html lang>`` and the canonical link."""
    values = _meta_values(tree)
    candidates: Candidates = {
        field: [values[key] for key in keys if key in values]
        for field, keys in _META_KEYS.items()
    }
    root = tree.getroottree().getroot()
    candidates["language"][:0] = strings_of(root.get("lang") or root.get("xml:lang"))
    candidates["page_url"][:0] = _canonical_link(tree)
    return candidates


def rel_author_candidates(tree: HtmlElement) -> Candidates:
    """Names of ``<a rel="author">`` links (blog bylines): the last resort for authors,
    after trafilatura's heuristics (author errors 202 -> 192 on the trafilatura corpus;
    preferring them to any other source measured worse)."""
    names = [(link.text_content() or "").strip() for link in tree.iter("a")
             if "author" in (link.get("rel") or "").lower().split()]
    return {"authors": [[name for name in names if name]]}


_BYLINE_MARK = re.compile(r"author|byline|autor|auteur|verfasser", re.IGNORECASE)
_NOT_BYLINE = re.compile(r"bio|comment|avatar|description|about|box", re.IGNORECASE)
_BYLINE_TEXT = re.compile(
    r"^(?:von|by|par|por|text|redaktion|autor(?:in|/in|en)?|auteur|author)\s*:?\s+",
    re.IGNORECASE)
_MAX_BYLINE_WORDS = 4
_NAME_PARTICLES = frozenset({"von", "van", "de", "der", "den", "la", "le", "da", "di", "du", "del",
                             "zu"})


_TWO_LETTERS = re.compile(r"[^\W\d_]{2}")


def _looks_like_name(text: str) -> bool:
    """1-4 words, each capitalized but particles ("Ludwig van Beethoven"), no digits, no
    colon ("Datum:", "Publiziert am" are labels), more than initials."""
    words = text.split()
    if ":" in text or not _TWO_LETTERS.search(text):  # "Ilustrator: X", initials "S."
        return False
    return 1 <= len(words) <= _MAX_BYLINE_WORDS \
        and all(word[:1].isupper() or word in _NAME_PARTICLES for word in words) \
        and not any(ch.isdigit() for ch in text)


def _byline_name(element: HtmlElement) -> str | None:
    text = " ".join((element.text_content() or "").split())
    text = _BYLINE_TEXT.sub("", text)
    if _BYLINE_TEXT.match(text + " ") or not _looks_like_name(text):
        return None
    return text


# Only elements with these attributes can be marked (an XPath in libxml2 finds them; a
# Python loop over every element cost ~2 ms a page).
_WITH_MARKS = etree.XPath("//*[@class or @id or @itemprop]")


def _marked_bylines(tree: HtmlElement) -> Iterator[HtmlElement]:
    """Elements marked as bylines (``itemprop="author"``, a class or id with "author",
    "byline"), not author bios or comment boxes, in document order."""
    for element in _WITH_MARKS(tree):
        marks = " ".join(filter(None, (element.get("itemprop"), element.get("class"),
                                       element.get("id"))))
        if _BYLINE_MARK.search(marks) and not _NOT_BYLINE.search(marks):
            yield element


def byline_candidates(tree: HtmlElement) -> Candidates:
    """Short texts of elements marked as bylines (``itemprop="author"``, a class or id
    with "author"/"byline"): for pages whose author is only in the visible byline. The
    first that holds a name: a label before it ("Posted") is skipped."""
    for element in _marked_bylines(tree):
        name = _byline_name(element)
        if name and split_authors(name):  # "Posted", "Alle Beiträge": look further
            return {"authors": [name]}
    return {"authors": []}


_HANDLE = re.compile(r"[^\s/@]{2,40}")


def byline_handle(tree: HtmlElement) -> str | None:
    """The first marked byline that is one token, a user name or a domain ("Herr_Rein",
    "happyface313", "www.example.com"), as the page writes it."""
    for element in _marked_bylines(tree):
        text = _BYLINE_TEXT.sub("", " ".join((element.text_content() or "").split()))
        text = text.strip(",;:|-–·")  # "Redaktion," before a date
        if _HANDLE.fullmatch(text) and _TWO_LETTERS.search(text):
            return text
    return None


# A visible byline: a label ("Von", "By", "Par", "Autor:") and one or more names, alone in
# a short element ("Von Anna Muster und Max Beispiel").
_BYLINE_LABEL = re.compile(
    r"^(?:von|by|par|por|door|av|af|written by|posted by|text von|autor(?:in|en)?|auteur|"
    r"author)(?:\s*:\s*|\s+)", re.IGNORECASE)
_NAME_LIST = re.compile(r"\s*(?:,|;|&|\bund\b|\band\b|\bet\b|\by\b)\s*")
_MAX_LABELLED_WORDS = 12
_TEXTS = etree.XPath("//text()[normalize-space()]")
_NOT_TEXT = frozenset({"script", "style", "title"})


def _line_of(node: etree._ElementUnicodeResult) -> str | None:
    """The whole visible text of the element holding a text node (a tail's holder is the
    element before it, so its parent), soft hyphens out; None inside scripts."""
    holder = node.getparent()
    element = holder if node.is_text or holder is None else holder.getparent()
    if element is None or element.tag in _NOT_TEXT:
        return None
    return " ".join(element.text_content().replace("\xad", "").split())


def _labelled_names(text: str) -> list[str]:
    """ "Von Anna Muster und Max Beispiel, dpa" -> ["Anna Muster", "Max Beispiel"]: every
    part a name of two words or more, but agency tags written in lower case ("dpa")."""
    rest = _BYLINE_LABEL.sub("", text, count=1)
    if rest == text or len(text.split()) > _MAX_LABELLED_WORDS:
        return []
    return _names_only(rest)


def _names_only(text: str) -> list[str]:
    """The names in "Anna Muster und Max Beispiel, dpa"; [] unless every part is one."""
    parts = [part for part in _NAME_LIST.split(text) if part and not part.islower()]
    if parts and all(len(part.split()) >= 2 and _looks_like_name(part) for part in parts):
        return parts
    return []


def labelled_byline_candidates(tree: HtmlElement) -> Candidates:
    """Names after a byline label in the visible text, for pages that mark no byline."""
    for node in _TEXTS(tree):
        if _BYLINE_LABEL.match(node.lstrip()):
            names = _labelled_names(_line_of(node) or "")
            if names:
                return {"authors": [names]}
    return {"authors": []}


# A capitalized label alone in its element ("<h5>Autor:</h5> Peter Maahn", "<b>Von:</b>
# <br>Götz Warnke"); lower case is a role in a list ("Marie Arana, author").
_LONE_LABEL = re.compile(r"^(?:Von|By|Autor(?:in|en)?|Author|Text)\s*:?$")


def lone_label_byline_candidates(tree: HtmlElement) -> Candidates:
    """The names in the text after a byline label that stands alone: after the labelled
    bylines (an inline "Written by: X" later on the page is the better witness)."""
    texts = _TEXTS(tree)
    for at, node in enumerate(texts[:-1]):
        if _LONE_LABEL.match(node.strip()):
            after = " ".join(texts[at + 1].split())
            names = _names_only(after) if len(after.split()) <= _MAX_LABELLED_WORDS else []
            if names:
                return {"authors": [names]}
    return {"authors": []}


_NUMERIC_DATE = r"\d{1,2}\.\s?\d{1,2}\.\s?\d{4}(?:\s*[|,]?\s*\d{1,2}:\d{2}(?:\s*Uhr)?)?"
_DATED_NAME = re.compile(rf"^(?:{_NUMERIC_DATE})\s*[-|–·]\s*(?P<name>[^\d|:]+)$")
_MAX_DATED_LINE = 80


def dated_byline_candidates(tree: HtmlElement) -> Candidates:
    """ "11.12.2019 - Amelie Loevenich", "04.02.2022 | 13:10 Uhr | Uta Helkenberg": a name
    after the date in a short line, when the page has one such line (several are a
    listing: "02.11.2022 - Placebo - Stadthalle")."""
    names = set()
    for node in _TEXTS(tree):
        if len(node) <= _MAX_DATED_LINE and any(ch.isdigit() for ch in node):
            match = _DATED_NAME.match(_line_of(node) or "")
            if match:
                names.add(match["name"].strip())
    name = names.pop() if len(names) == 1 else ""
    if len(name.split()) >= 2 and _looks_like_name(name):
        return {"authors": [name]}
    return {"authors": []}


# --- trafilatura ----------------------------------------------------------------------------


# Fields trafilatura's heuristics can fill when JSON-LD and <meta> leave them empty.
FALLBACK_FIELDS = ("title", "authors", "published_at", "site_name", "tags", "description",
                   "image_url", "page_url")
# What bare_extraction(with_metadata=True) asks htmldate for (extensive search per its
# default config): the same search, so a fallback date equals plain trafilatura's.
_DATE_PARAMS = {key: value for key, value in set_date_params(
    DEFAULT_CONFIG.getboolean("DEFAULT", "EXTENSIVE_DATE_SEARCH")).items() if key != "max_date"}


def trafilatura_metadata(tree: HtmlElement, url: str | None, missing: set[str]) -> Any:
    """trafilatura's own metadata (as ``extract_metadata`` builds it), computing only the
    pieces for ``missing`` fields: its date search (htmldate) alone is ~40% of the time
    of a plain ``bare_extraction(with_metadata=True)``, and needless when the page
    declares its date."""
    if not missing:
        return None
    meta = examine_meta(tree)
    if meta.author and " " not in meta.author:  # trafilatura drops one-word meta authors
        meta.author = None
    try:
        meta = extract_meta_json(tree, meta)
    except Exception:  # trafilatura guards this call the same way (bugs in its JSON code)
        pass
    if "title" in missing and not meta.title:
        meta.title = extract_title(tree)
    if "authors" in missing and not meta.author:
        meta.author = extract_author(tree)
    meta.url = meta.url or extract_url(tree, url)
    if "published_at" in missing:
        today = datetime.now().astimezone().strftime("%Y-%m-%d")  # htmldate: no future dates
        meta.date = find_date(tree, url=meta.url, max_date=today, **_DATE_PARAMS)
    if "site_name" in missing and not meta.sitename:
        meta.sitename = (extract_sitename(tree) or "").lstrip("@") or None
    if "tags" in missing:
        meta.categories = meta.categories or extract_catstags("category", tree)
        meta.tags = meta.tags or extract_catstags("tag", tree)
    return meta


def trafilatura_candidates(doc: Any) -> Candidates:
    """Metadata candidates from trafilatura's heuristics (its ``author`` is "A; B")."""
    if doc is None:
        return {}
    return {
        "title": [doc.title], "authors": [doc.author], "published_at": [doc.date],
        "description": [doc.description], "tags": [doc.tags or [], doc.categories or []],
        "image_url": [doc.image], "site_name": [doc.sitename], "language": [doc.language],
        "page_url": [doc.url],
    }
