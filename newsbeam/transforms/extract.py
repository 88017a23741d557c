"""RawDocument -> Document: decode, extract the article (HTML via trafilatura), clean it.

Pure functions, no Beam. Bad input raises ``Rejected``:
``binary``, ``undecodable``, ``unsupported_media_type``, ``no_text``, ``extract_failed``.

Metadata precedence, per field (the first source with a usable value wins):
  1. JSON-LD (``NewsArticle`` & co.): what the publisher declares for machines; exact
     timestamps, structured authors, a headline without the site-name suffix.
  2. OpenGraph / ``<meta>`` / ``<html lang>`` / ``<link rel=canonical>`` (canonical first for
     ``page_url``).
  3. trafilatura's own heuristics (``<title>``, bylines in the text, htmldate's date-only),
     computed only for the fields 1 and 2 left empty (they are most of its metadata cost).
  4. ``RawDocument.hints`` (feed metadata), only for fields the page lacks; except that a
     feed's date and authors come before trafilatura's, which are guesses from the text
     (htmldate reads "since 2014" in a body as a publication date).
The body text always comes from trafilatura.
"""
from __future__ import annotations

import codecs
import dataclasses
import html as htmllib
import json
import re
import warnings
from datetime import datetime, timezone
from typing import Any, Callable, Iterator
from urllib.parse import urljoin

from dateutil import parser as dateparser
from lxml.html import HtmlElement
from htmldate import find_date
from trafilatura import bare_extraction, load_html
from trafilatura.metadata import (
    examine_meta, extract_author, extract_catstags, extract_meta_json, extract_sitename,
    extract_title, extract_url,
)
from trafilatura.settings import DEFAULT_CONFIG, set_date_params
from trafilatura.utils import decode_file

from newsbeam.schemas.documents import Document, RawDocument, Rejected
from newsbeam.transforms.clean import clean_body, normalize_line, parse_plain_text

METADATA_FIELDS = ("title", "authors", "published_at", "language", "description", "tags",
                   "image_url", "site_name", "page_url")


@dataclasses.dataclass
class PageContent:
    """What extraction found in one input: body text plus page metadata (Document fields)."""

    text: str
    title: str | None = None
    authors: list[str] = dataclasses.field(default_factory=list)
    published_at: datetime | None = None
    language: str | None = None
    description: str | None = None
    tags: list[str] = dataclasses.field(default_factory=list)
    image_url: str | None = None
    site_name: str | None = None
    page_url: str | None = None


# --- bytes -> str ---------------------------------------------------------------------------

_SNIFF_BYTES = 4096
# Control bytes that text never holds (ESC is allowed: ISO-2022-JP uses it).
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")
_MAX_CONTROL_RATIO = 0.05
_BOMS = (  # longest first: the UTF-32-LE BOM starts with the UTF-16-LE one
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
# Browsers read these labels as a superset encoding (WHATWG Encoding Standard); pages
# labelled so often use its extra characters (curly quotes, dashes, Thai no-break space).
_CHARSET_ALIASES = {
    **dict.fromkeys(("iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"), "cp1252"),
    **dict.fromkeys(("iso-8859-9", "latin5"), "cp1254"),
    **dict.fromkeys(("tis-620", "tis620", "iso-8859-11", "iso8859-11", "dos-874"), "cp874"),
    **dict.fromkeys(("gb2312", "gbk", "x-gbk", "chinese"), "gb18030"),
    **dict.fromkeys(("shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji"), "cp932"),
    **dict.fromkeys(("euc-kr", "ks_c_5601-1987", "korean"), "cp949"),
    "big5": "big5hkscs",
}
# <meta charset="x"> and <meta http-equiv="Content-Type" content="text/html; charset=x">.
_META_CHARSET = re.compile(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]{1,40})",
                           re.IGNORECASE)


def _bom_encoding(data: bytes) -> str | None:
    return next((encoding for bom, encoding in _BOMS if data.startswith(bom)), None)


def _codec(label: str | None) -> str | None:
    """A Python codec name for a declared charset label; None if unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    try:
        return codecs.lookup(_CHARSET_ALIASES.get(label, label)).name
    except LookupError:
        return None


def _is_wide(encoding: str | None) -> bool:
    return bool(encoding) and encoding.startswith(("utf-16", "utf-32"))


def _reject_binary(data: bytes, encoding: str | None) -> None:
    """NUL or many control bytes mean binary content, unless UTF-16/32 is declared."""
    if _is_wide(encoding):
        return
    head = data[:_SNIFF_BYTES]
    controls = len(_CONTROL_BYTES.findall(head))
    if b"\x00" in head or controls > _MAX_CONTROL_RATIO * len(head):
        raise Rejected("binary", f"{controls} control bytes in the first {len(head)}")


def _decode_first(data: bytes, encodings: list[str]) -> str | None:
    """Strictly decode with the first encoding that works; None if none does."""
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):  # LookupError: "base64" is no text codec
            continue
    return None


def _encodings(data: bytes, charset: str | None, sniff_meta: bool) -> list[str]:
    """Encodings to try, best first, as browsers rank them: BOM, declared charset,
    (HTML) ``<meta charset>``, then UTF-8."""
    meta = _META_CHARSET.search(data[:_SNIFF_BYTES]) if sniff_meta else None
    declared = [_bom_encoding(data), _codec(charset), _codec(meta and meta[1].decode("ascii"))]
    return [encoding for encoding in declared if encoding] + ["utf-8"]


def decode_text(data: bytes, charset: str | None = None) -> str:
    """Plain text: BOM, else the declared charset, else UTF-8; no guessing."""
    encodings = _encodings(data, charset, sniff_meta=False)
    _reject_binary(data, encodings[0])
    text = _decode_first(data, encodings)
    if text is None:
        raise Rejected("undecodable", f"not valid {' or '.join(encodings)}")
    return text


def decode_html(data: bytes, charset: str | None = None) -> str:
    """HTML: BOM, declared charset, ``<meta charset>``, UTF-8; then trafilatura's statistical
    guess, which ends in a lossy UTF-8 decode rather than failing."""
    encodings = _encodings(data, charset, sniff_meta=True)
    _reject_binary(data, encodings[0])
    return _decode_first(data, encodings) or decode_file(data)


# --- field normalizers (shared by every metadata source) ------------------------------------

_BYLINE_PREFIX = re.compile(r"^\s*(?:written\s+)?by[:\s]+", re.IGNORECASE)
_AUTHOR_SEPARATORS = re.compile(r"\s*(?:[,;|&]|\band\b)\s*", re.IGNORECASE)
_MAX_AUTHOR_CHARS = 80
_LANGUAGE = re.compile(r"([a-zA-Z]{2})(?:[-_][A-Za-z0-9-]*)?")
_URL_LIKE = re.compile(r"^(?:https?:)?//|^www\.", re.IGNORECASE)
# dateutil fills missing parts from this default: a fixed one keeps parsing deterministic
# (and text without a year is not taken as a date at all).
_DATE_DEFAULT = datetime(1970, 1, 1)
_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")
# Zone names dateutil does not know (it knows only GMT/UT): those RFC 822 defines (feeds
# and Last-Modified use them) and the unambiguous European and East Asian ones news sites
# print. Other names (IST is India, Ireland or Israel) are read as UTC, without a warning.
_ZONE_NAMES = {name: int(hours * 3600) for name, hours in (
    ("EST", -5), ("EDT", -4), ("CST", -6), ("CDT", -5), ("MST", -7), ("MDT", -6),
    ("PST", -8), ("PDT", -7), ("WET", 0), ("WEST", 1), ("BST", 1), ("CET", 1),
    ("CEST", 2), ("EET", 2), ("EEST", 3), ("MSK", 3), ("JST", 9), ("KST", 9))}


def _strings(value: Any) -> list[str]:
    """A value as a flat list of non-empty strings (str, or lists of them)."""
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, (list, tuple)):
        return [s for item in value for s in _strings(item)]
    return []


def clean_inline(value: str) -> str | None:
    """One-line metadata text: entities decoded, whitespace normalized."""
    return normalize_line(htmllib.unescape(value)) or None


def _unique(items: list[str]) -> list[str]:
    seen: set[str] = set()
    kept = []
    for item in items:
        if item.casefold() not in seen:
            seen.add(item.casefold())
            kept.append(item)
    return kept


def split_authors(value: Any) -> list[str]:
    """ "By A and B", "A, B", ["A; B"] -> ["A", "B"]; profile URLs and blurbs are dropped."""
    names = []
    for text in _strings(value):
        text = _BYLINE_PREFIX.sub("", clean_inline(text) or "")
        names += [n for n in _AUTHOR_SEPARATORS.split(text)
                  if n and len(n) <= _MAX_AUTHOR_CHARS and not _URL_LIKE.match(n)]
    return _unique(names)


def split_keywords(value: Any) -> list[str]:
    """ "a, b" or ["a", "b; c"] -> ["a", "b", "c"], in order, without repeats."""
    words = [clean_inline(w) for text in _strings(value) for w in re.split(r"[,;]", text)]
    return _unique([w for w in words if w])


def parse_date(value: Any) -> datetime | None:
    """ISO-8601 or RFC-822 text (or a datetime) -> aware UTC datetime; naive means UTC."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            if not _YEAR.search(text):
                return None
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", dateparser.UnknownTimezoneWarning)
                    parsed = dateparser.parse(text, default=_DATE_DEFAULT, tzinfos=_ZONE_NAMES)
            except (ValueError, OverflowError):
                return None
    else:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def language_code(value: str) -> str | None:
    """ "en-US", "en_GB", "EN" -> ISO 639-1 "en"; anything else -> None."""
    match = _LANGUAGE.fullmatch(value.strip())
    return match[1].lower() if match else None


def _absolute_url(value: str, base: str | None) -> str | None:
    value = value.strip()
    return urljoin(base, value) if base else value or None


def strip_site_suffix(title: str, site_name: str | None) -> str:
    """ "Headline | Site" -> "Headline" when "Site" is the site's name."""
    if not site_name:
        return title
    for separator in (" | ", " - ", " – ", " — ", " :: ", " · "):
        head, sep, tail = title.rpartition(separator)
        if sep and head and tail.strip().casefold() == site_name.casefold():
            return head.strip()
    return title


_LIST_FIELDS: dict[str, Callable[[Any], list[str]]] = {
    "authors": split_authors, "tags": split_keywords,
}
_TEXT_FIELDS: dict[str, Callable[[str, str | None], Any]] = {  # (text, base URL) -> value
    "title": lambda text, _: clean_inline(text),
    "description": lambda text, _: clean_inline(text),
    "site_name": lambda text, _: clean_inline(text),
    "published_at": lambda text, _: parse_date(text),
    "language": lambda text, _: language_code(text),
    "image_url": _absolute_url,
    "page_url": _absolute_url,
}


def normalize_field(field: str, value: Any, base_url: str | None = None) -> Any:
    """One candidate value for a metadata field, normalized; None/[] when unusable."""
    if field in _LIST_FIELDS:
        return _LIST_FIELDS[field](value)
    if field == "published_at" and isinstance(value, datetime):
        return parse_date(value)
    for text in _strings(value):
        normalized = _TEXT_FIELDS[field](text, base_url)
        if normalized:
            return normalized
    return None


Candidates = dict[str, list[Any]]


def _first_usable(sources: list[Candidates], base_url: str | None) -> dict[str, Any]:
    """Per field, the first candidate (sources in precedence order) that normalizes."""
    picked: dict[str, Any] = {}
    for field in METADATA_FIELDS:
        candidates = (c for source in sources for c in source.get(field, []))
        values = (normalize_field(field, c, base_url) for c in candidates)
        picked[field] = next((v for v in values if v), [] if field in _LIST_FIELDS else None)
    return picked


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
    return {re.split(r"[/:#]", t)[-1] for t in _strings(node.get("@type"))}


def _jsonld_strings(value: Any, index: dict[str, dict], keys: tuple[str, ...]) -> list[str]:
    """Strings from a JSON-LD value that may be text, an object (or a ``{"@id"}`` reference
    into the graph) holding one of ``keys``, or a list of these."""
    if isinstance(value, list):
        return [s for item in value for s in _jsonld_strings(item, index, keys)]
    if isinstance(value, dict):
        node = index.get(value.get("@id"), value) if isinstance(value.get("@id"), str) else value
        return next((_strings(node[k]) for k in keys if _strings(node.get(k))), [])
    return _strings(value)


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
    candidates["language"][:0] = _strings(root.get("lang") or root.get("xml:lang"))
    candidates["page_url"][:0] = _canonical_link(tree)
    return candidates


# --- trafilatura ----------------------------------------------------------------------------

def _trafilatura_document(tree: HtmlElement, url: str | None) -> Any:
    """The body only: metadata comes from ``trafilatura_metadata``, for what is missing."""
    try:
        return bare_extraction(
            tree, url=url, with_metadata=False, include_comments=False, include_tables=True,
            deduplicate=False,
        )
    except Exception as exc:  # any failure inside the library is this input's problem
        raise Rejected("extract_failed", f"{type(exc).__name__}: {exc}") from exc


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


def parse_html(html: bytes | str, charset: str | None = None) -> HtmlElement:
    """Decode and parse once; the same tree serves trafilatura, JSON-LD and meta tags.

    trafilatura's own loader builds it, so extraction from this tree equals extraction from
    the string; only the decoding is ours (trafilatura ignores declared charsets).
    """
    if isinstance(html, bytes):
        html = decode_html(html, charset)
    elif "\x00" in html[:_SNIFF_BYTES]:
        raise Rejected("binary", "NUL characters in the text")
    tree = load_html(html) if html.strip() else None
    if tree is None:
        raise Rejected("no_text", "not parseable as HTML")
    return tree


# Elements trafilatura deletes in its own cleaning; dropped here before it copies the tree
# and runs its XPath pruning over every node. JSON-LD stays: trafilatura's baseline reads
# ``articleBody`` from it. <noscript> and <template> stay too: dropping them lowered recall
# on the trafilatura corpus (0.9441 -> 0.9417): some pages hold their text there.
_NEVER_TEXT = ("script", "style", "svg")


def prune_never_text(tree: HtmlElement) -> None:
    """Drop scripts (not JSON-LD), styles and SVG; their tails stay."""
    for element in list(tree.iter(*_NEVER_TEXT)):
        if element.tag == "script" and (element.get("type") or "").strip().lower() == \
                "application/ld+json":
            continue
        if element.getparent() is not None:
            element.drop_tree()


_HINTS_BEFORE_HEURISTICS = ("published_at", "authors")


def extract_html(html: bytes | str, url: str | None = None, charset: str | None = None,
                 hints: dict[str, Any] | None = None) -> PageContent:
    """The article in an HTML page: body text (trafilatura) and metadata (see module doc)."""
    tree = parse_html(html, charset)
    page_metadata = [jsonld_candidates(tree), meta_candidates(tree)]
    stated = {field: [value] for field, value in (hints or {}).items()
              if field in _HINTS_BEFORE_HEURISTICS}
    declared = _first_usable([*page_metadata, stated], url)
    missing = {field for field in FALLBACK_FIELDS if not declared[field]}
    # Before the body: bare_extraction works on a copy, but this reads the pristine tree.
    fallback = trafilatura_metadata(tree, url, missing)
    prune_never_text(tree)  # after the metadata: htmldate reads scripts too
    doc = _trafilatura_document(tree, url or declared["page_url"])
    if doc is None or not (doc.text or "").strip():
        raise Rejected("no_text", "trafilatura found no article text")
    metadata = _first_usable([*page_metadata, stated, trafilatura_candidates(fallback)], url)
    if metadata["title"]:
        metadata["title"] = strip_site_suffix(metadata["title"], metadata["site_name"])
    return PageContent(text=doc.text, **metadata)


# --- RawDocument -> Document ----------------------------------------------------------------

def _plain_page(raw: RawDocument) -> PageContent:
    title, body = parse_plain_text(decode_text(raw.body, raw.charset))
    return PageContent(text=body, title=title)


def _html_page(raw: RawDocument) -> PageContent:
    return extract_html(raw.body, url=raw.url, charset=raw.charset, hints=raw.hints)


_EXTRACTORS: dict[str, Callable[[RawDocument], PageContent]] = {
    "text/plain": _plain_page,
    "text/html": _html_page,
}


def _fill_from_hints(page: PageContent, hints: dict[str, Any], base_url: str | None) -> None:
    """Hints (feed metadata) fill only the fields the page left empty."""
    for field in METADATA_FIELDS:
        if not getattr(page, field) and field in hints:
            value = normalize_field(field, hints[field], base_url)
            if value:
                setattr(page, field, value)


def extract_document(raw: RawDocument) -> Document:
    """Extract and clean one input; raises ``Rejected`` when it cannot become an article."""
    extractor = _EXTRACTORS.get(raw.media_type.split(";")[0].strip().lower())
    if extractor is None:
        raise Rejected("unsupported_media_type", f"cannot extract {raw.media_type!r}")
    page = extractor(raw)
    _fill_from_hints(page, raw.hints, raw.url)
    body, dateline = clean_body(page.text, page.title)
    if not body:
        raise Rejected("no_text", "no article text left after cleanup")
    metadata = {field: getattr(page, field) for field in METADATA_FIELDS}
    return Document(source=raw.source, uri=raw.uri, fetched_at=raw.fetched_at, url=raw.url,
                    text=body, dateline=dateline, **metadata)
